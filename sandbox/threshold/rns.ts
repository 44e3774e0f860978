import type { HeContext } from '../he/seal.ts'
import { ThresholdError } from './errors.ts'
import { forwardNtt, inverseNtt, type NttTables, nttTables } from './ntt.ts'

/**
 * The RNS view of a profile: the key-level primes q_0 … q_{L-1}, P (P, the
 * last, is SEAL's special key-switching prime) and their NTT tables. A
 * ciphertext at a lower level uses a prefix of the data primes; keys use all.
 */
export interface RnsBasis {
  readonly n: number
  readonly primes: readonly bigint[]
  readonly ntt: readonly NttTables[]
  /** SEAL's parms_id (32 bytes) of each prefix length, keyed by the number of primes */
  readonly parmsIds: ReadonlyMap<number, Uint8Array>
}

/**
 * A polynomial as one limb per prime (`limbs[j]` mod `primes[j]`). Every
 * RnsPoly in this package is in SEAL's NTT form unless a name says `coeff`.
 */
export interface RnsPoly {
  readonly limbs: readonly BigUint64Array[]
}

const bases = new WeakMap<HeContext, RnsBasis>()

export function rnsBasis(ctx: HeContext): RnsBasis {
  const hit = bases.get(ctx)
  if (hit) return hit
  const keyData = ctx.context.keyContextData()
  const moduli = keyData.parms().coeffModulus()
  const primes: bigint[] = []
  for (let j = 0; j < moduli.size(); j++) primes.push(moduli.get(j)!.value())
  const parmsIds = new Map<number, Uint8Array>()
  let data: ReturnType<typeof ctx.context.keyContextData> | undefined = keyData
  while (data) {
    const count = data.parms().coeffModulus().size()
    parmsIds.set(count, parmsIdBytes(data.parmsId().values()))
    data = count > 1 ? data.nextContextData() : undefined
  }
  const n = ctx.profile.polyModulusDegree
  const basis = { n, primes, ntt: primes.map((q) => nttTables(n, q)), parmsIds }
  bases.set(ctx, basis)
  return basis
}

function parmsIdBytes(values: unknown): Uint8Array {
  const out = new Uint8Array(32)
  const view = new DataView(out.buffer)
  const words = Array.from(values as ArrayLike<bigint>)
  words.forEach((w, i) => {
    view.setBigUint64(8 * i, BigInt(w), true)
  })
  return out
}

export function zeroPoly(basis: RnsBasis, limbCount = basis.primes.length): RnsPoly {
  return { limbs: Array.from({ length: limbCount }, () => new BigUint64Array(basis.n)) }
}

/** The first `limbCount` limbs (a key restricted to a ciphertext's level); shares memory. */
export function prefix(p: RnsPoly, limbCount: number): RnsPoly {
  return { limbs: p.limbs.slice(0, limbCount) }
}

/** Small signed coefficients (a secret, an error) into NTT-form RNS. */
export function fromSigned(
  basis: RnsBasis,
  coeffs: ArrayLike<number | bigint>,
  limbCount = basis.primes.length,
): RnsPoly {
  const limbs: BigUint64Array[] = []
  for (let j = 0; j < limbCount; j++) {
    const q = basis.primes[j]!
    const limb = new BigUint64Array(basis.n)
    for (let k = 0; k < basis.n; k++) {
      const c = BigInt(coeffs[k]!)
      limb[k] = c >= 0n ? c % q : (q - (-c % q)) % q
    }
    forwardNtt(limb, basis.ntt[j]!)
    limbs.push(limb)
  }
  return { limbs }
}

/** NTT form to coefficients, each limb separately (centred lifting is the caller's business). */
export function toCoeffs(basis: RnsBasis, p: RnsPoly): BigUint64Array[] {
  return p.limbs.map((limb, j) => {
    const c = limb.slice()
    inverseNtt(c, basis.ntt[j]!)
    return c
  })
}

function zip(
  basis: RnsBasis,
  a: RnsPoly,
  b: RnsPoly,
  f: (x: bigint, y: bigint, q: bigint) => bigint,
): RnsPoly {
  const count = Math.min(a.limbs.length, b.limbs.length)
  const limbs: BigUint64Array[] = []
  for (let j = 0; j < count; j++) {
    const q = basis.primes[j]!
    const x = a.limbs[j]!
    const y = b.limbs[j]!
    const out = new BigUint64Array(basis.n)
    for (let k = 0; k < basis.n; k++) out[k] = f(x[k]!, y[k]!, q)
    limbs.push(out)
  }
  return { limbs }
}

export function add(basis: RnsBasis, a: RnsPoly, b: RnsPoly): RnsPoly {
  return zip(basis, a, b, (x, y, q) => {
    const s = x + y
    return s >= q ? s - q : s
  })
}

export function sub(basis: RnsBasis, a: RnsPoly, b: RnsPoly): RnsPoly {
  return zip(basis, a, b, (x, y, q) => (x >= y ? x - y : x + q - y))
}

/** Pointwise product in NTT form: the negacyclic product of the polynomials. */
export function mul(basis: RnsBasis, a: RnsPoly, b: RnsPoly): RnsPoly {
  return zip(basis, a, b, (x, y, q) => (x * y) % q)
}

export function neg(basis: RnsBasis, a: RnsPoly): RnsPoly {
  return {
    limbs: a.limbs.map((limb, j) => {
      const q = basis.primes[j]!
      return limb.map((x) => (x === 0n ? 0n : q - x))
    }),
  }
}

/** Multiplies limb j by scalars[j] (a per-prime constant such as a Lagrange coefficient). */
export function scale(basis: RnsBasis, a: RnsPoly, scalars: readonly bigint[]): RnsPoly {
  return {
    limbs: a.limbs.map((limb, j) => {
      const q = basis.primes[j]!
      const s = scalars[j]!
      return limb.map((x) => (x * s) % q)
    }),
  }
}

export function sum(basis: RnsBasis, polys: readonly RnsPoly[]): RnsPoly {
  if (polys.length === 0) throw new ThresholdError('SHARE_INVALID', 'shares', 'nothing to sum')
  return polys.slice(1).reduce((acc, p) => add(basis, acc, p), polys[0]!)
}

/** Refuses a poly that does not belong to `basis` with `limbCount` limbs. */
export function checkPoly(basis: RnsBasis, p: RnsPoly, limbCount: number, field: string): void {
  if (p.limbs.length !== limbCount) {
    throw new ThresholdError('SHARE_INVALID', field, `has ${p.limbs.length} RNS limbs, expected ${limbCount}`)
  }
  p.limbs.forEach((limb, j) => {
    if (limb.length !== basis.n) {
      throw new ThresholdError(
        'SHARE_INVALID',
        `${field}.limbs[${j}]`,
        `has ${limb.length} coefficients, expected ${basis.n}`,
      )
    }
    const q = basis.primes[j]!
    for (let k = 0; k < limb.length; k++) {
      if (limb[k]! >= q)
        throw new ThresholdError('SHARE_INVALID', `${field}.limbs[${j}][${k}]`, 'is not below its prime')
    }
  })
}
