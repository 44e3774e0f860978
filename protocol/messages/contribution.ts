import { z } from 'zod'
import { defineMessage } from '../codec.ts'
import { addressSchema, hex32Schema, signatureSchema } from '../hex.ts'
import { uintSchema, versionSchema } from './primitives.ts'

/**
 * A contributor's signed claim on one contribution to a pool: the TCFP bytes travel as a blob
 * (`blobId`, sandbox/contribution's wire form), the claim on gossip and in blocks. `poolId` is
 * signed, so a claim is never valid for another pool; `sequence` is the contributor's own counter
 * in the pool, so the same claim cannot be admitted twice; `window` is the bound window
 * (floor(height / windowBlocks)) the contributor means it for, so a claim signed for one window
 * cannot be held back and spent against a later one.
 */
export const contributionSchema = z.strictObject({
  version: versionSchema,
  poolId: hex32Schema,
  contributor: addressSchema,
  window: uintSchema,
  sequence: uintSchema,
  blobId: hex32Schema,
})
export type Contribution = z.infer<typeof contributionSchema>

export const signedContributionSchema = z.strictObject({
  version: versionSchema,
  contribution: contributionSchema,
  /** EIP-712 Contribution signature by contribution.contributor */
  signature: signatureSchema,
})
export type SignedContribution = z.infer<typeof signedContributionSchema>

export const contributionCodec = defineMessage('Contribution', contributionSchema, 1024)
export const signedContributionCodec = defineMessage('SignedContribution', signedContributionSchema, 1024)

/** A contribution's id: keccak256 of the canonical claim, signature excluded. */
export const contributionIdOf = (c: Contribution) => contributionCodec.id(c)

/**
 * The curator's ban of a contributor from its pool, from the block that carries it on. Signed by
 * the pool's curator (the manifest's `pool.curator`); contributions already admitted stay in the
 * log, since snapshots already read them.
 */
export const poolBanSchema = z.strictObject({
  version: versionSchema,
  poolId: hex32Schema,
  contributor: addressSchema,
  /** EIP-712 PoolBan signature by the pool's curator */
  signature: signatureSchema,
})
export type PoolBan = z.infer<typeof poolBanSchema>
export const poolBanCodec = defineMessage('PoolBan', poolBanSchema, 512)

/**
 * The most bytes a contribution has at any profile: ckks-16384's one-prime ciphertext
 * (72-byte TCFP header, SEAL header, 2 x 16,384 x 8 bytes). The exact length per profile is
 * sandbox/contribution's contributionBytes; this only bounds the wire before any HE work.
 */
export const MAX_CONTRIBUTION_BYTES = 72 + 113 + 2 * 16384 * 8

/**
 * A claim with its TCFP bytes, as the contribution API takes it and the `contributions` gossip
 * topic carries it (hex, as canonical JSON has no bytes). Blocks carry the claim alone.
 */
export const contributionUploadSchema = z.strictObject({
  version: versionSchema,
  claim: signedContributionSchema,
  bytes: z
    .string()
    .max(2 + 2 * MAX_CONTRIBUTION_BYTES)
    .regex(/^0x(?:[0-9a-f]{2})*$/, 'lowercase hex bytes'),
})
export type ContributionUpload = z.infer<typeof contributionUploadSchema>
export const contributionUploadCodec = defineMessage(
  'ContributionUpload',
  contributionUploadSchema,
  2 * MAX_CONTRIBUTION_BYTES + 2048,
)
