import { z } from 'zod'
import { addressSchema, hex32Schema, signatureSchema } from '../hex.ts'
import { qualityScoreSchema } from './primitives.ts'

/**
 * The vault owner's signed statement that it decrypted the certified result of jobId, scored it and
 * sealed it to the buyer. It is what a SealedResult carries without the ciphertext, and what a block
 * includes to settle the job.
 */
export const releaseSchema = z.strictObject({
  jobId: hex32Schema,
  resultHash: hex32Schema,
  qualityScore: qualityScoreSchema,
  /** The score's components, each fixed-point like the score (see sandbox quality score). */
  components: z.strictObject({
    sampleSize: qualityScoreSchema,
    completeness: qualityScoreSchema,
    plausibility: qualityScoreSchema,
    fitness: qualityScoreSchema,
  }),
  /** keccak256 of the canonical `sealed` object of the SealedResult. */
  sealedHash: hex32Schema,
  owner: addressSchema,
  /** EIP-712 Release signature by owner. */
  signature: signatureSchema,
})
export type Release = z.infer<typeof releaseSchema>
