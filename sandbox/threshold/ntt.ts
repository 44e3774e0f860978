/**
 * The negacyclic number-theoretic transform exactly as SEAL lays it out, so a
 * polynomial we transform can be written into SEAL objects (which keep keys
 * and ciphertexts in NTT form) and SEAL's own NTT form can be read back.
 *
 * SEAL uses the smallest primitive 2N-th root of unity ψ mod q and stores
 * slot i as a(ψ^(2·rev(i)+1)), where rev reverses log2(N) bits: a
 * Cooley–Tukey forward pass over ψ powers in bit-reversed order. Any other
 * root or order would still be a valid NTT but not SEAL's, and small noise
 * written through it would land in SEAL as large noise.
 */
export interface NttTables {
  readonly q: bigint
  readonly n: number
  /** ψ^rev(k) */
  readonly psiRev: readonly bigint[]
  /** ψ^-rev(k) */
  readonly psiInvRev: readonly bigint[]
  readonly nInv: bigint
}

export function powMod(base: bigint, exp: bigint, q: bigint): bigint {
  let result = 1n
  let b = base % q
  let e = exp
  while (e > 0n) {
    if (e & 1n) result = (result * b) % q
    b = (b * b) % q
    e >>= 1n
  }
  return result
}

export function invMod(a: bigint, q: bigint): bigint {
  return powMod(((a % q) + q) % q, q - 2n, q)
}

function reverseBits(x: number, bits: number): number {
  let r = 0
  for (let i = 0; i < bits; i++) r |= ((x >> i) & 1) << (bits - 1 - i)
  return r
}

function minimalPrimitiveRoot(n: number, q: bigint): bigint {
  const m = BigInt(2 * n)
  for (let x = 2n; x < q; x++) {
    const r = powMod(x, (q - 1n) / m, q)
    if (powMod(r, BigInt(n), q) !== q - 1n) continue
    // Every primitive 2N-th root is an odd power of r; SEAL takes the least.
    const r2 = (r * r) % q
    let best = r
    let cur = r
    for (let k = 3; k < 2 * n; k += 2) {
      cur = (cur * r2) % q
      if (cur < best) best = cur
    }
    return best
  }
  throw new RangeError(`no primitive ${m}-th root of unity mod ${q}`)
}

const cache = new Map<string, NttTables>()

export function nttTables(n: number, q: bigint): NttTables {
  const key = `${n}:${q}`
  const hit = cache.get(key)
  if (hit) return hit
  const logN = Math.log2(n)
  const psi = minimalPrimitiveRoot(n, q)
  const psiInv = invMod(psi, q)
  const psiRev = new Array<bigint>(n)
  const psiInvRev = new Array<bigint>(n)
  let p = 1n
  let pi = 1n
  for (let i = 0; i < n; i++) {
    const r = reverseBits(i, logN)
    psiRev[r] = p
    psiInvRev[r] = pi
    p = (p * psi) % q
    pi = (pi * psiInv) % q
  }
  const tables = { q, n, psiRev, psiInvRev, nInv: invMod(BigInt(n), q) }
  cache.set(key, tables)
  return tables
}

/** In place: coefficients (each < q) to SEAL's NTT slots. */
export function forwardNtt(a: BigUint64Array, t: NttTables): void {
  const { q, n, psiRev } = t
  let gap = n >> 1
  for (let m = 1; m < n; m <<= 1) {
    for (let i = 0; i < m; i++) {
      const w = psiRev[m + i]!
      const start = 2 * i * gap
      for (let j = start; j < start + gap; j++) {
        const u = a[j]!
        const v = (a[j + gap]! * w) % q
        const s = u + v
        a[j] = s >= q ? s - q : s
        a[j + gap] = u >= v ? u - v : u + q - v
      }
    }
    gap >>= 1
  }
}

/** In place: SEAL's NTT slots back to coefficients. */
export function inverseNtt(a: BigUint64Array, t: NttTables): void {
  const { q, n, psiInvRev, nInv } = t
  let gap = 1
  for (let m = n >> 1; m >= 1; m >>= 1) {
    for (let i = 0; i < m; i++) {
      const w = psiInvRev[m + i]!
      const start = 2 * i * gap
      for (let j = start; j < start + gap; j++) {
        const u = a[j]!
        const v = a[j + gap]!
        const s = u + v
        a[j] = s >= q ? s - q : s
        a[j + gap] = ((u >= v ? u - v : u + q - v) * w) % q
      }
    }
    gap <<= 1
  }
  for (let j = 0; j < n; j++) a[j] = (a[j]! * nInv) % q
}
