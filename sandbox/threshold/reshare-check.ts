import { errorPoly } from './ckg.ts'
import { type Committee, checkCommittee, checkParticipants } from './committee.ts'
import { ThresholdError } from './errors.ts'
import { type MemberSecret, sharePrg } from './member.ts'
import { invMod } from './ntt.ts'
import { Prg } from './prg.ts'
import { add, checkPoly, fromSigned, mul, type RnsBasis, type RnsPoly, scale, sum, toCoeffs } from './rns.ts'
import { readCiphertext } from './seal-format.ts'
import { lagrangeAt, lagrangeAtZero } from './shamir.ts'
import { centredCrt } from './stat-decrypt.ts'

/**
 * The known-answer check of a reshare, before anyone deletes an old share. Hash commitments bind a
 * dealer to the shares it sent, not to what they share: an old dealer can deal a consistent
 * sharing of λ_i·sh_i + δ, and the new sharing is then of s + δ. The new members therefore open,
 * together, a challenge ciphertext of zero under the (unchanged) collective public key with the
 * sharing they are about to adopt: c0 + c1·s' is small only if s' = s (for δ ≠ 0, c1·δ is uniform).
 *
 * - The challenge is (b·u + e0, a·u + e1) with u, e0, e1 from a seed the caller derives from the
 *   dealers' signed commitments, so it is fixed only after every dealer has fixed its dealing: a
 *   dealer cannot pick δ in the kernel of the one coefficient that is opened.
 * - Each new member opens only the constant coefficient, smudged, for every set U of t new
 *   members containing it (as the release does), so a cheating member who knows δ can cancel it
 *   in the sets it is in but not in the set of t honest members: with at most f cheaters among
 *   n = 3f + 1 such a set exists, and it shows the sharing wrong.
 * - Attribution: dealt shares are of λ_i^S·sh_i for the dealer set S, and any t_old-subset T of S
 *   reshares s too, after re-weighting each dealing by λ_i^T / λ_i^S. Members open the challenge
 *   for S and for every S \ {d}; when S fails and S \ {d} passes, d dealt a wrong value.
 */
export interface ReshareChallenge {
  /** NTT form over every key-level prime */
  readonly c0: RnsPoly
  readonly c1: RnsPoly
}

/** |c0 + c1·s| of an honest check is t smudging draws (2^30 each) plus errors of a few thousand. */
export const RESHARE_CHECK_BOUND = 2n ** 40n

/** The challenge ciphertext of zero under `publicKey` (SEAL PublicKey bytes), from a 32-byte public seed. */
export function reshareChallenge(basis: RnsBasis, publicKey: Uint8Array, seed: Uint8Array): ReshareChallenge {
  if (seed.length !== 32) {
    throw new ThresholdError('PARAMS_INVALID', 'challenge seed', `is ${seed.length} bytes, expected 32`)
  }
  const pk = readCiphertext(basis, publicKey, 'public key')
  if (pk.polys.length !== 2 || pk.polys[0]!.limbs.length !== basis.primes.length) {
    throw new ThresholdError('SEAL_BYTES_INVALID', 'public key', 'is not two key-level polynomials')
  }
  const prg = new Prg(seed, 'reshare-check/challenge')
  const u = fromSigned(basis, prg.ternary(basis.n))
  const c0 = add(basis, mul(basis, pk.polys[0]!, u), errorPoly(basis, prg))
  const c1 = add(basis, mul(basis, pk.polys[1]!, u), errorPoly(basis, prg))
  return { c0, c1 }
}

/**
 * A new member's share of s as the dealers `subset` of `dealers` reshare it: Σ_{i∈T} (λ_i^T/λ_i^S)·g_i(j),
 * from the dealt shares `received` (by old index). For T = S it is the plain sum.
 */
export function candidateShare(
  basis: RnsBasis,
  oldCommittee: Committee,
  dealers: readonly number[],
  subset: readonly number[],
  received: ReadonlyMap<number, RnsPoly>,
): RnsPoly {
  checkParticipants(oldCommittee, dealers)
  checkParticipants(oldCommittee, subset)
  const parts = subset.map((i) => {
    if (!dealers.includes(i)) {
      throw new ThresholdError('PARTICIPANTS_INVALID', 'subset', `dealer ${i} is not among ${dealers}`)
    }
    const g = received.get(i)
    if (g === undefined) throw new ThresholdError('SHARE_INVALID', `received[${i}]`, 'missing')
    checkPoly(basis, g, basis.primes.length, `received[${i}]`)
    if (subset.length === dealers.length) return g
    const fromS = lagrangeAtZero(basis, oldCommittee, dealers, i)
    const toT = lagrangeAt(basis, subset, i, 0)
    return scale(
      basis,
      g,
      basis.primes.map((q, l) => (toT[l]! * invMod(fromS[l]!, q)) % q),
    )
  })
  return sum(basis, parts)
}

/**
 * New member `member`'s opening of the challenge's constant coefficient with `share`, weighted for
 * each of `sets` (sets of t new members containing it), smudged: one residue per prime per set.
 * `label` separates the candidates (T) a member opens, so each gets independent noise.
 */
export function reshareCheckShares(
  basis: RnsBasis,
  member: MemberSecret,
  share: RnsPoly,
  challenge: ReshareChallenge,
  sets: readonly (readonly number[])[],
  label: string,
  smudgingBits: number,
): bigint[][] {
  checkCommittee(member.committee)
  const constant = toCoeffs(basis, mul(basis, challenge.c1, share)).map((limb) => limb[0]!)
  const prg = sharePrg(member, 'reshare-check', [label, sets.map((s) => s.join(',')).join(';')])
  const noise = prg.smudging(smudgingBits, sets.length)
  return sets.map((set, k) => {
    const lambda = lagrangeAtZero(basis, member.committee, set, member.index)
    return basis.primes.map((q, l) => {
      const v = (lambda[l]! * constant[l]! + noise[k]!) % q
      return v < 0n ? v + q : v
    })
  })
}

/** c0[0] + Σ of one set's openings, as a centred integer: within RESHARE_CHECK_BOUND iff the set's sharing is of s. */
export function reshareCheckOpen(
  basis: RnsBasis,
  challenge: ReshareChallenge,
  openings: readonly (readonly bigint[])[],
): bigint {
  const c0 = toCoeffs(basis, challenge.c0).map((limb) => limb[0]!)
  const residues = basis.primes.map((q, l) => {
    let acc = c0[l]!
    for (const o of openings) {
      const v = o[l]
      if (v === undefined || v < 0n || v >= q) {
        throw new ThresholdError(
          'SHARE_INVALID',
          'check opening',
          `residue ${l} is missing or not below its prime`,
        )
      }
      acc = (acc + v) % q
    }
    return acc
  })
  return centredCrt(basis.primes, residues)
}
