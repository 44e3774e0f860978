import { type Committee, checkCommittee, checkParticipants } from './committee.ts'
import { ThresholdError } from './errors.ts'
import { invMod } from './ntt.ts'
import type { Prg } from './prg.ts'
import { add, checkPoly, type RnsBasis, type RnsPoly, scale, sum } from './rns.ts'

/**
 * Shamir t-of-n sharing of a polynomial, slot by slot and prime by prime:
 * f(x) = secret + c_1·x + … + c_{t-1}·x^(t-1) with uniform c_k, and member i
 * gets f(i). NTT is linear, so sharing NTT slots shares the polynomial.
 * Returns the shares in member order (index 0 is member 1's).
 */
export function shamirShares(basis: RnsBasis, committee: Committee, secret: RnsPoly, prg: Prg): RnsPoly[] {
  checkCommittee(committee)
  const limbCount = secret.limbs.length
  const coeffs: RnsPoly[] = []
  for (let k = 1; k < committee.t; k++) {
    coeffs.push({ limbs: basis.primes.slice(0, limbCount).map((q) => prg.uniformMod(q, basis.n)) })
  }
  const shares: RnsPoly[] = []
  for (let x = 1; x <= committee.n; x++) {
    // Horner from the top coefficient down to the secret
    let acc: RnsPoly | undefined
    for (let k = coeffs.length - 1; k >= -1; k--) {
      const term = k >= 0 ? coeffs[k]! : secret
      acc =
        acc === undefined
          ? term
          : add(
              basis,
              scale(
                basis,
                acc,
                basis.primes.map(() => BigInt(x)),
              ),
              term,
            )
    }
    shares.push(acc!)
  }
  return shares
}

/** λ_i at 0 over `participants`, one per prime: Π_{j≠i} j / (j − i) mod q. */
export function lagrangeAtZero(
  basis: RnsBasis,
  committee: Committee,
  participants: readonly number[],
  i: number,
): bigint[] {
  checkParticipants(committee, participants)
  if (!participants.includes(i)) {
    throw new ThresholdError('PARTICIPANTS_INVALID', 'participants', `member ${i} is not among them`)
  }
  return lagrangeAt(basis, participants, i, 0)
}

/** Π_{j≠i} (x − j)/(i − j) mod each prime: the weight of point i when interpolating at x. */
export function lagrangeAt(basis: RnsBasis, points: readonly number[], i: number, x: number): bigint[] {
  return basis.primes.map((q) => {
    let num = 1n
    let den = 1n
    for (const j of points) {
      if (j === i) continue
      num = (num * BigInt(x - j)) % q
      den = (den * BigInt(i - j)) % q
    }
    return (((num * invMod(den, q)) % q) + q) % q
  })
}

/**
 * The secret from t or more shares. Only tests and resharing use it: in
 * operation no one ever holds the whole key.
 */
export function shamirReconstruct(
  basis: RnsBasis,
  committee: Committee,
  shares: ReadonlyMap<number, RnsPoly>,
): RnsPoly {
  const participants = [...shares.keys()].sort((a, b) => a - b)
  checkParticipants(committee, participants)
  const limbCount = shares.get(participants[0]!)!.limbs.length
  return sum(
    basis,
    participants.map((i) => {
      const share = shares.get(i)!
      checkPoly(basis, share, limbCount, `shares[${i}]`)
      return scale(basis, share, lagrangeAtZero(basis, committee, participants, i))
    }),
  )
}
