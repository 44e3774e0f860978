import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import type { Eip712Domain } from '../eip712/domain.ts'
import { recoverAddress, signDigest } from '../eip712/ecdsa.ts'
import {
  type Address,
  addressSchema,
  type Hex,
  type Hex32,
  hex32Schema,
  keccak256,
  signatureSchema,
} from '../hex.ts'
import { MAX_VALIDATORS } from './attestation.ts'
import { memberIndexSchema } from './dkgInstance.ts'
import { versionSchema } from './primitives.ts'
import { sealedPayloadSchema } from './sealedResult.ts'

/**
 * Threshold release of a certified job on a committee vault (docs/threshold.md). Every statistic
 * of such a job is one coefficient of its result ciphertext (the constant one for a stat alone,
 * X^(ks) for the k-th of an integer-mask pack: sandbox statLocations), so opening it needs only
 * that coefficient: a member's share of a statistic is one smudged residue per prime of the
 * ciphertext (sandbox statShare), 8 bytes each.
 *
 * The release has two phases. Phase 1, the score: a member shares the statistics the quality score
 * reads for every set of t members that contains it (`sets`), all at once, so whichever t members
 * answer some set is complete, and no retry ever picks a new set. A block fixes one set S and the
 * score. Phase 2, the outputs: only once that block is decided, and only if the score reaches the
 * buyer's minimum, each member of S seals to the buyer its shares of every statistic for S alone,
 * each carrying the member's own full-scale differential-privacy noise (`OutputShares`).
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

/** What an opening adds to the shares: the statistic's coefficient of c0 and the ciphertext's scale. */
export const statConstantSchema = z.strictObject({
  c0: statResiduesSchema,
  scale: z.number().positive(),
})
export type StatConstant = z.infer<typeof statConstantSchema>

/**
 * Phase 1: a member's signed shares of the statistics the quality score reads (sandbox scoreStats),
 * with those statistics' constants. A block carries t of these; every validator combines exactly
 * them into the score.
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
  signature: signatureSchema,
})
export type ScoreShare = z.infer<typeof scoreShareSchema>
export type UnsignedScoreShare = Omit<ScoreShare, 'signature'>

/**
 * What a member of S seals to the buyer: its share of every statistic of the result for S only,
 * each with the member's privacy noise already in it, and the statistics' constants.
 */
export const buyerSharesSchema = z.strictObject({
  version: versionSchema,
  jobId: hex32Schema,
  resultHash: hex32Schema,
  member: memberIndexSchema,
  participants: z.array(memberIndexSchema).min(1).max(MAX_VALIDATORS),
  stats: z.array(statResiduesSchema).max(MAX_SHARED_STATS),
  constants: z.array(statConstantSchema).max(MAX_SHARED_STATS),
})
export type BuyerShares = z.infer<typeof buyerSharesSchema>
export const buyerSharesCodec = defineMessage('BuyerShares', buyerSharesSchema, 2 * 1024 * 1024)

/** ECIES info string of buyer shares: separates them from sealed results and DKG dealings. */
export const BUYER_SHARES_INFO = new TextEncoder().encode('tcf-threshold-buyer-shares/v2')

/**
 * Phase 2: a member's signed, sealed output shares for the participant set S the decided block
 * fixed. The signature binds the sealed bytes to the member, the job, the result and S, so the
 * buyer (and every node serving them) knows whose they are without opening them.
 */
export const outputSharesSchema = z.strictObject({
  jobId: hex32Schema,
  resultHash: hex32Schema,
  keyHash: hex32Schema,
  member: memberIndexSchema,
  validator: addressSchema,
  /** S, exactly as the block's scored entry names it */
  participants: z.array(memberIndexSchema).min(1).max(MAX_VALIDATORS),
  sealed: sealedPayloadSchema,
  signature: signatureSchema,
})
export type OutputShares = z.infer<typeof outputSharesSchema>
export type UnsignedOutputShares = Omit<OutputShares, 'signature'>

/**
 * One member's release of one job, as gossiped and served: the phase-1 score share, and once the
 * block fixed S and the score reached the buyer's minimum, the phase-2 output shares.
 */
export const thresholdReleaseSchema = z.strictObject({
  version: versionSchema,
  share: scoreShareSchema,
  outputs: outputSharesSchema.optional(),
  /**
   * Which sending of the same release this is. Gossip drops a message whose bytes it has seen,
   * even one it ignored (a peer that had not seen the job certified yet), so a re-send differs
   * here and only here: the shares are the persisted bytes, never new noise.
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
  // 192 KiB of sealed shares as hex (sealedPayloadSchema's own bound is 96 KiB) and the score share.
  256 * 1024,
  (m) =>
    !m.outputs ||
    (m.outputs.member === m.share.member &&
      m.outputs.jobId === m.share.jobId &&
      m.outputs.resultHash === m.share.resultHash &&
      m.outputs.keyHash === m.share.keyHash &&
      m.outputs.validator === m.share.validator)
      ? undefined
      : { path: ['outputs'], detail: "is not the same member's, job's, result's and key's as the share" },
)

/**
 * The digest a member signs: the message without its signature, under the network's domain and
 * the message's protocol name, so a share of one network, job or phase is worth nothing in another.
 */
function memberDigest(protocol: string, domain: Eip712Domain, body: object): Hex32 {
  return keccak256(
    canonicalBytes({
      protocol,
      chainId: domain.chainId.toString(),
      verifyingContract: domain.verifyingContract.toLowerCase(),
      body,
    }),
  )
}

/** The address that signed a member's message, or undefined for a signature no honest signer makes. */
function memberSigner(
  protocol: string,
  domain: Eip712Domain,
  message: { readonly signature: Hex },
): Address | undefined {
  const { signature, ...unsigned } = message
  return recoverAddress(memberDigest(protocol, domain, unsigned), signature)?.toLowerCase() as
    | Address
    | undefined
}

const SCORE_SHARE = 'tcf/score-share/v2'
const OUTPUT_SHARES = 'tcf/output-shares/v1'

export const scoreShareDigest = (domain: Eip712Domain, share: UnsignedScoreShare): Hex32 =>
  memberDigest(SCORE_SHARE, domain, share)

export function signScoreShare(domain: Eip712Domain, key: Hex32, share: UnsignedScoreShare): ScoreShare {
  return { ...share, signature: signDigest(key, scoreShareDigest(domain, share)) }
}

export const scoreShareSigner = (domain: Eip712Domain, share: ScoreShare): Address | undefined =>
  memberSigner(SCORE_SHARE, domain, share)

export function signOutputShares(
  domain: Eip712Domain,
  key: Hex32,
  shares: UnsignedOutputShares,
): OutputShares {
  return { ...shares, signature: signDigest(key, memberDigest(OUTPUT_SHARES, domain, shares)) }
}

export const outputSharesSigner = (domain: Eip712Domain, shares: OutputShares): Address | undefined =>
  memberSigner(OUTPUT_SHARES, domain, shares)
