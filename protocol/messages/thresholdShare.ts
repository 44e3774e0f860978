import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import type { Eip712Domain } from '../eip712/domain.ts'
import { recoverAddress, signDigest } from '../eip712/ecdsa.ts'
import { type Address, addressSchema, type Hex32, hex32Schema, keccak256, signatureSchema } from '../hex.ts'
import { MAX_VALIDATORS } from './attestation.ts'
import { memberIndexSchema } from './dkgInstance.ts'
import { versionSchema } from './primitives.ts'
import { sealedHashOf, sealedPayloadSchema } from './sealedResult.ts'

/**
 * Threshold release of a certified job on a committee vault (docs/threshold.md). Every result
 * ciphertext of such a job holds one statistic, its total in every slot, so opening it needs only
 * the constant coefficient: a member's share of a statistic is one smudged residue per prime of the
 * ciphertext (sandbox statShare), 8 bytes each.
 *
 * A share weights the member's Shamir share by its Lagrange coefficient for one participant set, so
 * a member computes it for every set of t members that contains it (`sets`), all at once: whichever
 * t members answer, some set is complete, and no retry ever picks a new set (each set is one noisy
 * sample of the member's key, a fixed number per statistic).
 */

/** A residue below a 64-bit prime, in decimal (JSON numbers stop at 2^53). */
const residueSchema = z.string().regex(/^(0|[1-9][0-9]{0,19})$/)
/** one residue per prime the ciphertext keeps */
export const statResiduesSchema = z.array(residueSchema).min(1).max(16)

/** Statistics a job may have: the compiler's limit is well below this. */
export const MAX_SHARED_STATS = 1024
/** t-subsets of n containing one member: C(n-1, t-1); 3 at n = 4, 15 at n = 7, 84 at n = 10. */
export const MAX_SHARE_SETS = 128

export const shareSetSchema = z.strictObject({
  /** ascending member indices, exactly t of them, this member among them */
  participants: z.array(memberIndexSchema).min(1).max(MAX_VALIDATORS),
  /** one smudged share per statistic, in the order the message states */
  stats: z.array(statResiduesSchema).max(MAX_SHARED_STATS),
})
export type ShareSet = z.infer<typeof shareSetSchema>

/** What an opening adds to the shares: the constant coefficient of c0 and the ciphertext's scale. */
export const statConstantSchema = z.strictObject({
  c0: statResiduesSchema,
  scale: z.number().positive(),
})
export type StatConstant = z.infer<typeof statConstantSchema>

/**
 * A member's signed shares of the statistics the quality score reads (sandbox scoreStats), with
 * those statistics' constants, and the hash of what it sealed to the buyer. A block carries t of
 * these; every validator combines exactly them into the score.
 */
export const scoreShareSchema = z.strictObject({
  jobId: hex32Schema,
  resultHash: hex32Schema,
  /** the collective key the vault is under (its manifest's keyHolder.keyHash) */
  keyHash: hex32Schema,
  member: memberIndexSchema,
  validator: addressSchema,
  sets: z.array(shareSetSchema).min(1).max(MAX_SHARE_SETS),
  /** per score statistic, in the same order as each set's stats */
  constants: z.array(statConstantSchema).max(MAX_SHARED_STATS),
  /** sealedHashOf the buyer's payload: the signature covers it */
  sealedHash: hex32Schema,
  signature: signatureSchema,
})
export type ScoreShare = z.infer<typeof scoreShareSchema>
export type UnsignedScoreShare = Omit<ScoreShare, 'signature'>

/** What a member seals to the buyer: shares and constants of every statistic of the result. */
export const buyerSharesSchema = z.strictObject({
  version: versionSchema,
  jobId: hex32Schema,
  resultHash: hex32Schema,
  member: memberIndexSchema,
  sets: z.array(shareSetSchema).min(1).max(MAX_SHARE_SETS),
  constants: z.array(statConstantSchema).max(MAX_SHARED_STATS),
})
export type BuyerShares = z.infer<typeof buyerSharesSchema>
export const buyerSharesCodec = defineMessage('BuyerShares', buyerSharesSchema, 2 * 1024 * 1024)

/** ECIES info string of buyer shares: separates them from sealed results and DKG dealings. */
export const BUYER_SHARES_INFO = new TextEncoder().encode('tcf-threshold-buyer-shares/v1')

/** One member's whole release of one job, as gossiped: the signed score share and the sealed buyer shares. */
export const thresholdReleaseSchema = z.strictObject({
  version: versionSchema,
  share: scoreShareSchema,
  sealed: sealedPayloadSchema,
  /**
   * Which sending of the same release this is. Gossip drops a message whose bytes it has seen,
   * even one it ignored (a peer that had not seen the job certified yet), so a re-send differs
   * here and only here: the share and the sealed payload are the persisted bytes, never new noise.
   */
  attempt: z
    .int()
    .min(0)
    .max(2 ** 31),
})
export type ThresholdRelease = z.infer<typeof thresholdReleaseSchema>

export const thresholdReleaseCodec = defineMessage(
  'ThresholdRelease',
  thresholdReleaseSchema,
  // 128 KiB of sealed shares (sealedPayloadSchema's own bound is 64 KiB) and the score share.
  256 * 1024,
  (m) =>
    sealedHashOf(m.sealed) === m.share.sealedHash
      ? undefined
      : { path: ['share', 'sealedHash'], detail: 'does not hash the sealed payload' },
)

/**
 * The digest a member signs: the share without its signature, under the network's domain, so a
 * share of one network or one job is worth nothing in another.
 */
export function scoreShareDigest(domain: Eip712Domain, share: UnsignedScoreShare): Hex32 {
  return keccak256(
    canonicalBytes({
      protocol: 'tcf/score-share/v1',
      chainId: domain.chainId.toString(),
      verifyingContract: domain.verifyingContract.toLowerCase(),
      share,
    }),
  )
}

export function signScoreShare(domain: Eip712Domain, key: Hex32, share: UnsignedScoreShare): ScoreShare {
  return { ...share, signature: signDigest(key, scoreShareDigest(domain, share)) }
}

/** The address that signed the share, or undefined for a signature no honest signer makes. */
export function scoreShareSigner(domain: Eip712Domain, share: ScoreShare): Address | undefined {
  const { signature, ...unsigned } = share
  return recoverAddress(scoreShareDigest(domain, unsigned), signature)?.toLowerCase() as Address | undefined
}
