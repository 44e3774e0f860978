import { z } from 'zod'
import { addressSchema, hex32Schema } from '../hex.ts'

/**
 * The payouts of a job on a pool, as a node serves them: the contributors of the snapshot the job
 * read with their contribution counts (public: signed and logged by consensus), the tree's root and
 * total, and the evaluation's bundle hash. The job's certified result hash is
 * poolResultHash(bundleHash, {root, total}), so a client checks all of it against the chain and
 * needs to trust the node for nothing but availability.
 */
export const jobPayoutsSchema = z.strictObject({
  jobId: hex32Schema,
  bundleHash: hex32Schema,
  root: hex32Schema,
  total: z.int().min(0),
  /** in ascending address order, as the tree's leaves */
  leaves: z.array(
    z.strictObject({
      contributor: addressSchema,
      contributions: z.int().min(1),
      leaf: hex32Schema,
    }),
  ),
})
export type JobPayouts = z.infer<typeof jobPayoutsSchema>
