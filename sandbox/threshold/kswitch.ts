import { type CrsInstance, commonPoly } from './ckg.ts'
import { ThresholdError } from './errors.ts'
import { add, checkPoly, mul, type RnsBasis, type RnsPoly, sub } from './rns.ts'
import { type SealCiphertext, writeKSwitchKeys } from './seal-format.ts'

/**
 * SEAL's key-switching keys (RelinKeys, GaloisKeys), as SEAL 4.x builds them
 * in KeyGenerator::generate_one_kswitch_key and as checked here against
 * SEAL's own keys: a key from s' to s has one component per data prime q_j,
 * each an RLWE sample at key level (q_0 … q_{L-1}, P) under s,
 *   (−a_j·s + e_j + w_j·s', a_j),
 * where the gadget term w_j·s' is (P mod q_j)·s' in limb j only (the RNS
 * gadget P·(Q/q_j)·[(Q/q_j)^-1]_{q_j} vanishes mod every other prime and
 * mod P). Multiparty generation only has to produce Σ over members of
 * such samples with a common a_j.
 */
export function dataPrimeCount(basis: RnsBasis): number {
  return basis.primes.length - 1
}

/** w_j·x: (P mod q_j)·x in limb j, zero in every other limb. */
export function gadget(basis: RnsBasis, x: RnsPoly, j: number): RnsPoly {
  const special = basis.primes[basis.primes.length - 1]!
  return {
    limbs: basis.primes.map((q, k) => {
      if (k !== j) return new BigUint64Array(basis.n)
      const factor = special % q
      return x.limbs[k]!.map((v) => (v * factor) % q)
    }),
  }
}

/** The common a_j of one key-switching key: component j of key `label`. */
export function commonRow(basis: RnsBasis, inst: CrsInstance, label: string): RnsPoly[] {
  return Array.from({ length: dataPrimeCount(basis) }, (_, j) => commonPoly(basis, inst, `${label}/${j}`))
}

/** (−a_j·s + e_j + w_j·s') for each j: a member's one-round share of a key from s' to s. */
export function kswitchRow(
  basis: RnsBasis,
  a: readonly RnsPoly[],
  s: RnsPoly,
  target: RnsPoly,
  errors: () => RnsPoly,
): RnsPoly[] {
  return a.map((aj, j) => add(basis, sub(basis, errors(), mul(basis, aj, s)), gadget(basis, target, j)))
}

export function keyComponent(basis: RnsBasis, c0: RnsPoly, c1: RnsPoly): SealCiphertext {
  return {
    parmsId: basis.parmsIds.get(basis.primes.length)!,
    isNtt: true,
    scale: 1,
    correctionFactor: 1n,
    polys: [c0, c1],
  }
}

/**
 * SEAL GaloisKeys bytes: SEAL indexes a key by (element − 1) / 2 in a table
 * of N entries, most empty.
 */
export function writeGaloisKeys(
  basis: RnsBasis,
  keys: ReadonlyMap<number, readonly SealCiphertext[]>,
): Uint8Array {
  const table: (readonly SealCiphertext[])[] = Array.from({ length: basis.n }, () => [])
  for (const [elt, row] of keys) {
    if (elt % 2 === 0 || elt < 1 || elt >= 2 * basis.n) {
      throw new ThresholdError(
        'PARAMS_INVALID',
        'galois element',
        `${elt} is not odd in 1..${2 * basis.n - 1}`,
      )
    }
    table[(elt - 1) / 2] = row
  }
  return writeKSwitchKeys(basis, { parmsId: basis.parmsIds.get(basis.primes.length)!, keys: table })
}

/** SEAL RelinKeys bytes: one key (for s²). */
export function writeRelinKeys(basis: RnsBasis, row: readonly SealCiphertext[]): Uint8Array {
  return writeKSwitchKeys(basis, { parmsId: basis.parmsIds.get(basis.primes.length)!, keys: [row] })
}

/** SEAL's Galois element for a rotation by `step` slots: 3^step mod 2N (negative steps wrap). */
export function galoisElement(n: number, step: number): number {
  const slots = n / 2
  if (!Number.isInteger(step) || step === 0 || Math.abs(step) >= slots) {
    throw new ThresholdError('PARAMS_INVALID', 'step', `${step} is not a rotation in ±1..${slots - 1}`)
  }
  const m = BigInt(2 * n)
  let e = 1n
  for (let i = 0; i < (step > 0 ? step : slots + step); i++) e = (e * 3n) % m
  return Number(e)
}

/** s(X^g) from s's small coefficients: coefficient i moves to i·g mod 2N, negated past N. */
export function automorphism(coeffs: ArrayLike<number>, g: number): Int32Array {
  const n = coeffs.length
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const target = (i * g) % (2 * n)
    if (target < n) out[target] = coeffs[i]!
    else out[target - n] = -coeffs[i]!
  }
  return out
}

export function checkRows(
  basis: RnsBasis,
  rows: readonly (readonly RnsPoly[])[],
  width: number,
  field: string,
): void {
  if (rows.length === 0) throw new ThresholdError('SHARE_INVALID', field, 'no shares')
  rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new ThresholdError(
        'SHARE_INVALID',
        `${field}[${i}]`,
        `has ${row.length} components, expected ${width}`,
      )
    }
    row.forEach((p, j) => {
      checkPoly(basis, p, basis.primes.length, `${field}[${i}][${j}]`)
    })
  })
}
