import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { type Hex32, hex32Schema, keccak256 } from '../hex.ts'
import { MAX_VALIDATORS } from './attestation.ts'
import { memberIndexSchema } from './dkgInstance.ts'
import { qualityScoreSchema } from './primitives.ts'
import { scoreShareSchema } from './thresholdShare.ts'

/**
 * A block's threshold release of one job: the participant set the proposer picked, exactly t
 * members' signed score shares for that set, and the score they combine to. Validators recombine
 * the shares and refuse the block unless they get the same score, so the score is a deterministic
 * function of the block.
 */
export const scoredReleaseSchema = z.strictObject({
  jobId: hex32Schema,
  resultHash: hex32Schema,
  participants: z.array(memberIndexSchema).min(1).max(MAX_VALIDATORS),
  qualityScore: qualityScoreSchema,
  components: z.strictObject({
    sampleSize: qualityScoreSchema,
    completeness: qualityScoreSchema,
    plausibility: qualityScoreSchema,
    fitness: qualityScoreSchema,
  }),
  shares: z.array(scoreShareSchema).min(1).max(MAX_VALIDATORS),
})
export type ScoredRelease = z.infer<typeof scoredReleaseSchema>

/** What a job's ledger entry records as released: the hash of the whole section entry. */
export const scoredReleaseHash = (r: ScoredRelease): Hex32 => keccak256(canonicalBytes(r))
