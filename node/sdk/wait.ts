import { type Hex32, JOB_STAGES, type JobRecord, type JobStage } from '../../protocol/index.ts'
import { ClientError } from './errors.ts'

export interface WaitOptions {
  readonly timeoutMs?: number
  readonly pollMs?: number
  /** called once per stage the job enters, in order, with the node's record at that time */
  readonly onStage?: (stage: JobStage, at: string, job: JobRecord) => void
}

/** Polls `fetchJob` until the job reaches one of `stages`; a job that fails instead is JOB_FAILED. */
export async function waitForStages(
  fetchJob: (jobId: Hex32) => Promise<JobRecord>,
  jobId: Hex32,
  stages: readonly JobStage[],
  options: WaitOptions = {},
): Promise<JobRecord> {
  const deadline = Date.now() + (options.timeoutMs ?? 300_000)
  const seen = new Set<JobStage>()
  for (;;) {
    const job = await fetchJob(jobId).catch((e: unknown) => {
      // Another node may not have heard of the job yet.
      if (e instanceof ClientError && e.status === 404) return undefined
      throw e
    })
    if (job) {
      for (const stage of JOB_STAGES) {
        const at = job.stages[stage]
        if (at !== undefined && !seen.has(stage)) {
          seen.add(stage)
          options.onStage?.(stage, at, job)
        }
      }
      if (stages.includes(job.stage)) return job
      if (job.stage === 'failed') {
        throw new ClientError(
          'JOB_FAILED',
          `job ${jobId} failed: ${job.failReason ?? job.refusal?.message ?? 'no reason given'}`,
        )
      }
    }
    if (Date.now() > deadline) {
      throw new ClientError('TIMEOUT', `job ${jobId} is ${job?.stage ?? 'unknown'}, not ${stages.join('/')}`)
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500))
  }
}
