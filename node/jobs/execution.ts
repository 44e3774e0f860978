import type { Logger } from 'pino'
import type { Hex32, ResultAttestation } from '../../protocol/index.ts'
import type { VaultManifest } from '../../sandbox/index.ts'
import type { Executor } from './executor.ts'
import type { JobBook } from './job-book.ts'
import type { Ledger } from './ledger.ts'
import type { ResultBundles } from './result-bundles.ts'
import type { JobTrace } from './trace.ts'

/** A job's evaluation is retried (say, while a peer is busy or restarting) this often before this node gives up on it. */
const EXECUTION_ATTEMPTS = 4

export interface JobRunnerDeps {
  readonly ledger: Pick<Ledger, 'job'>
  readonly book: Pick<JobBook, 'advance'>
  readonly manifest: (vaultId: Hex32) => Promise<VaultManifest>
  readonly executor: Pick<Executor, 'execute'>
  readonly bundles: ResultBundles
  /** counts this node's attestation in its pool and gossips it; resolves once it is out */
  readonly attest: (attestation: ResultAttestation) => Promise<void>
  readonly observeSeconds: (seconds: number) => void
  readonly logger: Logger
  readonly trace?: JobTrace
}

/**
 * Evaluates admitted jobs on this validator, one run per job at a time, and attests their
 * results; a failed run is retried with backoff while the job is still open.
 */
export class JobRunner {
  readonly #deps: JobRunnerDeps
  readonly #running = new Set<Hex32>()
  readonly #attempts = new Map<Hex32, number>()

  constructor(deps: JobRunnerDeps) {
    this.#deps = deps
  }

  async run(jobId: Hex32): Promise<void> {
    const deps = this.#deps
    if (this.#running.has(jobId)) return
    const job = deps.ledger.job(jobId)
    if (!job) return
    this.#running.add(jobId)
    const log = deps.logger.child({ jobId })
    try {
      await deps.book.advance(jobId, 'executing')
      const manifest = await deps.manifest(job.request.request.vaultId)
      const execution = await deps.executor.execute(jobId, job.request, manifest)
      deps.observeSeconds(execution.ms / 1000)
      const { attestation } = execution
      deps.bundles.restrict(execution.bundleId, job.request.request.vaultId)
      await deps.attest(attestation)
      deps.trace?.(jobId, 'attested')
      await deps.book.advance(jobId, 'attested', {
        resultHash: attestation.resultHash,
        resultBlob: execution.bundleId,
      })
      this.#attempts.delete(jobId)
    } catch (e) {
      const attempt = (this.#attempts.get(jobId) ?? 0) + 1
      this.#attempts.set(jobId, attempt)
      const now = deps.ledger.job(jobId)
      const open = !now?.certified && now?.failedHeight === undefined
      if (open && attempt < EXECUTION_ATTEMPTS) {
        log.warn({ err: e, attempt }, 'job execution failed; retrying')
        setTimeout(() => void this.run(jobId), 1000 * attempt).unref()
      } else {
        log.error({ err: e, attempt }, 'job execution failed')
      }
    } finally {
      this.#running.delete(jobId)
    }
  }
}
