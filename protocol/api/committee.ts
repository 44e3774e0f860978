import { z } from 'zod'
import { addressSchema, hex32Schema } from '../hex.ts'
import { collectiveKeySchema } from '../messages/collectiveKey.ts'

/** Where an epoch's DKG stands at this node. */
export const DKG_STATUSES = ['idle', 'dealing', 'keygen', 'signing', 'done', 'failed'] as const
export const dkgStatusSchema = z.enum(DKG_STATUSES)
export type DkgStatus = z.infer<typeof dkgStatusSchema>

/**
 * An epoch's committee key as one node knows it: the key record once its DKG produced one (the
 * SEAL objects are blobs, fetched like any other by id), whether the Anchor holds its hash, and the
 * DKG's progress. A client must not trust `registered`: it checks keyHash against
 * Anchor.committeeKeys(epoch) itself (node/sdk Client.committeeKey).
 */
export const committeeInfoSchema = z.strictObject({
  epoch: z.int().min(0),
  /** the epoch's validator set, in set order: member i is members[i − 1] */
  members: z.array(addressSchema),
  /** shares needed to decrypt: 2f + 1 of n = 3f + 1 */
  threshold: z.int().min(1),
  keyHash: hex32Schema.nullable(),
  key: collectiveKeySchema.nullable(),
  registered: z.boolean(),
  dkg: z.strictObject({
    status: dkgStatusSchema,
    round: z.int().min(0),
    instanceId: hex32Schema.nullable(),
    /** members excluded from the qualified set by a valid complaint or a missed deadline */
    excluded: z.array(z.int().min(1)),
  }),
})
export type CommitteeInfo = z.infer<typeof committeeInfoSchema>
