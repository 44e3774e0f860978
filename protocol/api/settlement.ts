import { z } from 'zod'
import { addressSchema, hex32Schema, weiSchema } from '../hex.ts'
import { heightSchema, qualityScoreSchema } from '../messages/primitives.ts'

const creditSchema = z.strictObject({ address: addressSchema, amount: weiSchema })

/**
 * How a job's escrow was closed on chain, as this node saw it: paid to the vault owner and the
 * validators whose precommits anchored the release; rejected, the release's certified score below the
 * escrow's minimum, so the buyer got the escrow back less the validators' evaluation fee; or refunded
 * to the buyer. Amounts are decimal wei as JobMarket credited them (JobPaid / JobRejected /
 * JobRefunded), not as this node computed them.
 */
export const settlementSchema = z.strictObject({
  status: z.enum(['paid', 'rejected', 'refunded']),
  txHash: hex32Schema,
  /** Whether this node sent the transaction (it may have found the job closed by another). */
  byUs: z.boolean(),
  /** The anchored block whose outcome proof closed the escrow. */
  height: heightSchema,
  owner: creditSchema.optional(),
  /** Paid on a pool: the owner share JobMarket holds for the snapshot's contributors (they claim it). */
  heldForContributors: weiSchema.optional(),
  validators: z.array(creditSchema).max(256).optional(),
  buyer: creditSchema.optional(),
  /** Rejected only: the certified score and the minimum it fell short of, fixed point (QUALITY_SCALE). */
  qualityScore: qualityScoreSchema.optional(),
  minQuality: qualityScoreSchema.optional(),
})
export type Settlement = z.infer<typeof settlementSchema>
