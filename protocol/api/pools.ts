import { z } from 'zod'
import { addressSchema, hex32Schema } from '../hex.ts'

/** What a node knows of a pool: its terms and the head of its log at the node's height. */
export const poolInfoSchema = z.strictObject({
  poolId: hex32Schema,
  curator: addressSchema,
  /** contributions in the log */
  size: z.int().min(0),
  /** distinct contributors in the log */
  contributors: z.int().min(0),
  /** the height of the log's head (its latest snapshot), null before the first contribution */
  head: z.int().min(1).nullable(),
  /** the node's committed height */
  height: z.int().min(0),
  bound: z.strictObject({ perWindow: z.int().min(1), windowBlocks: z.int().min(1) }),
  minContributors: z.int().min(1),
  maxRecords: z.int().min(1),
  /** contributions one aggregate can hold */
  capacity: z.int().min(1),
  /** contributions waiting here for a block */
  pending: z.int().min(0),
})
export type PoolInfo = z.infer<typeof poolInfoSchema>

/**
 * A pool as of a snapshot height: the aggregate's blob (the same bytes on every validator), the
 * public counts, and the payouts tree they give (protocol/pools/payouts.ts).
 */
export const poolSnapshotSchema = z.strictObject({
  poolId: hex32Schema,
  height: z.int().min(1),
  count: z.int().min(1),
  /** blob id (sha256) of the aggregate ciphertext */
  aggregate: hex32Schema,
  contributors: z.int().min(1),
  payoutsRoot: hex32Schema,
})
export type PoolSnapshotRecord = z.infer<typeof poolSnapshotSchema>

export const poolSnapshotViewSchema = poolSnapshotSchema.extend({
  /** contributions per contributor in the snapshot, ascending address */
  counts: z.array(z.strictObject({ contributor: addressSchema, contributions: z.int().min(1) })),
})
export type PoolSnapshotView = z.infer<typeof poolSnapshotViewSchema>

export const contributionAcceptedSchema = z.strictObject({ contributionId: hex32Schema, blobId: hex32Schema })
