import type { HeContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'
import { checkParticipants } from './committee.ts'
import { ThresholdError } from './errors.ts'
import type { MemberKey } from './key-share.ts'
import { sharePrg } from './member.ts'
import { add, checkPoly, fromSigned, mul, prefix, type RnsBasis, type RnsPoly, scale, sum } from './rns.ts'
import { readCiphertext, type SealCiphertext, writePlaintext } from './seal-format.ts'
import { lagrangeAtZero } from './shamir.ts'

/**
 * One threshold decryption. `participants` (ascending, at least t) are the
 * members whose shares will be combined: each weights its Shamir share by
 * its Lagrange coefficient for exactly this set, so the node layer fixes the
 * set first (e.g. the 2f+1 the proposer names). Every member adds uniform
 * smudging noise in [−2^smudgingBits, 2^smudgingBits] per coefficient.
 */
export interface DecryptionInstance {
  readonly id: string
  /** the uncompressed SEAL ciphertext (2 polynomials, NTT form) */
  readonly ciphertext: Uint8Array
  readonly participants: readonly number[]
  readonly smudgingBits: number
}

/** Smudging used unless a caller states its own; see docs/threshold.md for the argument. */
export const DEFAULT_SMUDGING_BITS = 30

/**
 * The least width a member accepts from whoever sets up an opening. Each
 * instance id gets independent noise, so a coordinator can average Q
 * openings of a crafted ciphertext: the noise falls to 2^k/√(3Q), and
 * stripping it needs Q ≈ 2^(2k+1)/3 openings: 2^40 at k = 20, a handful
 * at k = 1 (the attack test recovers the whole key with 160 per member).
 */
export const MIN_SMUDGING_BITS = 20

export function freshCiphertext(basis: RnsBasis, bytes: Uint8Array, what: string): SealCiphertext {
  const ct = readCiphertext(basis, bytes, what)
  if (ct.polys.length !== 2) {
    throw new ThresholdError(
      'SEAL_BYTES_INVALID',
      what,
      `has ${ct.polys.length} polynomials; relinearize to 2 first`,
    )
  }
  if (!ct.isNtt) throw new ThresholdError('SEAL_BYTES_INVALID', what, 'is not in NTT form')
  return ct
}

/** λ_i·(share of s), restricted to the ciphertext's primes: this member's additive share of s for the set. */
export function additiveShare(
  basis: RnsBasis,
  key: MemberKey,
  participants: readonly number[],
  limbCount: number,
): RnsPoly {
  const { committee, index } = key.member
  checkParticipants(committee, participants)
  const lambda = lagrangeAtZero(basis, committee, participants, index)
  return scale(basis, prefix(key.share, limbCount), lambda)
}

export function smudgingPoly(
  basis: RnsBasis,
  prg: ReturnType<typeof sharePrg>,
  bits: number,
  limbCount: number,
): RnsPoly {
  return fromSigned(basis, prg.smudging(bits, basis.n), limbCount)
}

/** The randomness of a share of one opening, bound to everything public about it (and `extra` inputs). */
export function instancePrg(
  key: MemberKey,
  protocol: string,
  inst: DecryptionInstance,
  extra: readonly Uint8Array[] = [],
): ReturnType<typeof sharePrg> {
  if (
    !Number.isInteger(inst.smudgingBits) ||
    inst.smudgingBits < MIN_SMUDGING_BITS ||
    inst.smudgingBits > 62
  ) {
    throw new ThresholdError(
      'PARAMS_INVALID',
      'smudgingBits',
      `${inst.smudgingBits} is not an integer in ${MIN_SMUDGING_BITS}..62: a narrower width lets repeated openings average the noise away`,
    )
  }
  return sharePrg(key.member, protocol, [
    inst.id,
    inst.ciphertext,
    inst.participants.join(','),
    String(inst.smudgingBits),
    ...extra,
  ])
}

/** d_i = c1·λ_i·s_i' + e_smudge over the ciphertext's primes. */
export function decryptionShare(basis: RnsBasis, key: MemberKey, inst: DecryptionInstance): RnsPoly {
  const ct = freshCiphertext(basis, inst.ciphertext, 'ciphertext')
  const limbCount = ct.polys[0]!.limbs.length
  const s = additiveShare(basis, key, inst.participants, limbCount)
  const prg = instancePrg(key, 'decrypt', inst)
  return add(basis, mul(basis, ct.polys[1]!, s), smudgingPoly(basis, prg, inst.smudgingBits, limbCount))
}

/**
 * c0 + Σ d_i as SEAL Plaintext bytes (NTT form, the ciphertext's level and
 * scale), which SEAL's CKKSEncoder decodes. Combining is public: anyone
 * holding the shares and the ciphertext gets the same plaintext.
 */
export function combineDecryption(
  basis: RnsBasis,
  ciphertext: Uint8Array,
  shares: readonly RnsPoly[],
): Uint8Array {
  const ct = freshCiphertext(basis, ciphertext, 'ciphertext')
  const limbCount = ct.polys[0]!.limbs.length
  shares.forEach((d, i) => {
    checkPoly(basis, d, limbCount, `decryption shares[${i}]`)
  })
  return writePlaintext(basis, {
    parmsId: ct.parmsId,
    scale: ct.scale,
    poly: sum(basis, [ct.polys[0]!, ...shares]),
  })
}

/** Decodes SEAL Plaintext bytes to the slot values. */
export function decodePlaintext(ctx: HeContext, bytes: Uint8Array): Float64Array {
  const plain = loadInto(ctx, () => new ctx.seal.Plaintext(), bytes, 'plaintext', 'CIPHERTEXT_INVALID')
  try {
    return Float64Array.from(ctx.encoder.decodeFloat64(plain) as ArrayLike<number>)
  } finally {
    plain.delete()
  }
}

/**
 * A bound on |decoded − single-key decoded| per slot that holds except with
 * probability about 2^-40 per slot: the t smudging terms sum to a
 * coefficient variance t·B²/3 (B = 2^smudgingBits), the canonical embedding
 * turns that into a per-slot real-part standard deviation B·√(N·t/6), and
 * 7.5 standard deviations are divided by the ciphertext's scale.
 */
export function smudgingErrorBound(
  n: number,
  t: number,
  smudgingBits: number,
  ciphertextScale: number,
): number {
  return (7.5 * 2 ** smudgingBits * Math.sqrt((n * t) / 6)) / ciphertextScale
}
