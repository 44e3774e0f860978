import { type Hex32, jobIdOf, type SignedJobRequest } from '../../protocol/index.ts'
import { JOB_STAGES, type JobRecord, type JobStage } from '../storage/index.ts'

const ORDER = new Map<JobStage, number>(JOB_STAGES.map((s, i) => [s, i]))

export function newJobRecord(request: SignedJobRequest, stage: JobStage, at = new Date()): JobRecord {
  return { jobId: jobIdOf(request.request) as Hex32, request, stage, stages: { [stage]: at.toISOString() } }
}

/**
 * Moves a record forward: stages never go back, `failed` and `released` are
 * final. Fields are merged either way, so a late fact (an anchor tx) is kept.
 */
export function advance(
  record: JobRecord,
  stage: JobStage,
  fields: Partial<JobRecord> = {},
  at = new Date(),
): JobRecord {
  const final = record.stage === 'failed' || record.stage === 'released'
  const forward = !final && (stage === 'failed' || ORDER.get(stage)! > ORDER.get(record.stage)!)
  return {
    ...record,
    ...fields,
    stage: forward ? stage : record.stage,
    stages:
      forward && !record.stages[stage] ? { ...record.stages, [stage]: at.toISOString() } : record.stages,
  }
}
