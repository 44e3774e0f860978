import { z } from 'zod'
import { hex32Schema } from '../hex.ts'
import { type JobRequest, jobIdOfParsed, signedJobRequestCodec } from '../messages/jobRequest.ts'
import { heightSchema } from '../messages/primitives.ts'
import { settlementSchema } from './settlement.ts'

/** Where a job is in its life on this node. Stages only move forward; `failed` is terminal, as is `released`. */
export const JOB_STAGES = [
  'pending',
  'admitted',
  'executing',
  'attested',
  'certified',
  'anchored',
  'released',
  'failed',
] as const
export const jobStageSchema = z.enum(JOB_STAGES)
export type JobStage = z.infer<typeof jobStageSchema>

/**
 * A validator's record of one job: what its store keeps and what GET /v1/jobs/:id answers. The store
 * validates it on every write and read; what the stages mean is the daemon's business. `stages`
 * records when the job entered each stage it went through.
 */
/** A job record's fields, before the check that its id is its request's (jobRecordSchema). */
export const jobRecordFields = z.strictObject({
  jobId: hex32Schema,
  request: signedJobRequestCodec.schema,
  stage: jobStageSchema,
  admittedHeight: heightSchema.optional(),
  certifiedHeight: heightSchema.optional(),
  failedHeight: heightSchema.optional(),
  releasedHeight: heightSchema.optional(),
  resultHash: hex32Schema.optional(),
  /** Blob id of this node's encoded result bundle, once it evaluated the job. */
  resultBlob: hex32Schema.optional(),
  /** The released quality score, fixed-point (QUALITY_SCALE). */
  qualityScore: z.int().min(0).max(1_000_000).optional(),
  /** Blob id of the sealed result, once this node holds it. */
  sealedResult: hex32Schema.optional(),
  failReason: z.string().max(1024).optional(),
  /** The transaction that anchored the block settling this job. */
  anchorTx: z.strictObject({ height: heightSchema, txHash: hex32Schema }).optional(),
  /** How the escrow was closed on chain (paid or refunded), once it was. */
  settlement: settlementSchema.optional(),
  stages: z.partialRecord(jobStageSchema, z.iso.datetime()),
  /** Why this node refused the request (policy, price, unknown vault...). */
  refusal: z.strictObject({ code: z.string().max(64), message: z.string().max(1024) }).optional(),
})

/** Adds the check that a record's id is its request's: a record filed under the wrong id would make lookups by id lie. */
export const withJobIdCheck = <S extends z.ZodType<{ jobId: string; request: { request: JobRequest } }>>(
  schema: S,
) =>
  schema.refine((r) => idOfRequestOrUndefined(r.request.request) === r.jobId, {
    message: 'jobId is not the id of request',
    path: ['jobId'],
  })

export const jobRecordSchema = withJobIdCheck(jobRecordFields)

/**
 * zod runs this check even when the request inside failed its own; hashing an invalid request
 * throws EncodeError, which would escape the schema instead of being one more issue of the record.
 */
function idOfRequestOrUndefined(request: JobRequest): string | undefined {
  try {
    return jobIdOfParsed(request)
  } catch {
    return undefined
  }
}
export type JobRecord = z.infer<typeof jobRecordSchema>
