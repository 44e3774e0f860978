import type { Logger } from 'pino'
import {
  type Block,
  blobIdOf,
  blockHash,
  blockHeader,
  type CommitCertificate,
  type DecidedRecord,
  encodeDecidedRecord,
  type Hex32,
  needsAnchoring,
  type SignedJobRequest,
} from '../../protocol/index.ts'
import type { AttestationPool } from '../jobs/attestation-pool.ts'
import type { JobBook } from '../jobs/job-book.ts'
import type { Ledger, LedgerChange } from '../jobs/ledger.ts'
import type { ReleasePool } from '../jobs/releases.ts'
import type { JobTrace } from '../jobs/trace.ts'
import type { NodeMetrics } from '../metrics.ts'
import type { NodeChain } from '../ports.ts'
import type { Epochs } from './epochs.ts'

export interface CommitterDeps {
  readonly ledger: Ledger
  readonly book: Pick<JobBook, 'commit'>
  /** the decided record of the last stored block, null before the first */
  readonly head: Hex32 | null
  /** loads the manifests a block's admissions are charged against (the ledger reads them from memory) */
  readonly loadAdmittedVaults: (block: Block) => Promise<void>
  readonly releases: Pick<ReleasePool, 'sealedBlob' | 'released'>
  readonly pending: Map<Hex32, SignedJobRequest>
  readonly attestations: Pick<AttestationPool, 'forget'>
  readonly epochs: Pick<Epochs, 'follow'>
  readonly chain: Pick<NodeChain, 'anchor'>
  readonly metrics: Pick<NodeMetrics, 'height' | 'roundsPerHeight'>
  /** starts evaluating a job the block admitted */
  readonly execute: (jobId: Hex32) => void
  /** told of each applied block's changes once it is stored (threshold releases follow certifications) */
  readonly onApplied?: (changes: readonly LedgerChange[]) => void
  /** told of each applied block once it is stored (pools follow their contributions) */
  readonly onCommitted?: (block: Block) => void
  readonly logger: Logger
  readonly trace?: JobTrace
}

/**
 * Applies decided blocks, from consensus and from catch-up alike, one at a time in height order:
 * the ledger, then the block with its job records, the WAL prune and the decided-record chain in
 * one atomic store batch; then the epoch that follows, anchoring, and the execution of newly
 * admitted jobs.
 */
export class Committer {
  readonly #deps: CommitterDeps
  #head: Hex32 | null
  #commits: Promise<unknown> = Promise.resolve()

  constructor(deps: CommitterDeps) {
    this.#deps = deps
    this.#head = deps.head
  }

  /** The id of the last decided record: peers catch up from it. */
  get head(): Hex32 | null {
    return this.#head
  }

  commit(block: Block, certificate: CommitCertificate): Promise<void> {
    const run = this.#commits.then(() => this.#apply(block, certificate))
    this.#commits = run.catch(() => undefined)
    return run
  }

  /** Resolves once every commit queued so far is done. */
  async idle(): Promise<void> {
    await this.#commits
  }

  async #apply(block: Block, certificate: CommitCertificate): Promise<void> {
    const deps = this.#deps
    const { height } = block
    if (height <= deps.ledger.height) return
    await deps.loadAdmittedVaults(block)
    const changes = deps.ledger.apply(block, blockHash(block))
    const record: DecidedRecord = { version: 1, block, certificate, prev: this.#head }
    const bytes = encodeDecidedRecord(record)
    const recordId = blobIdOf(bytes) as Hex32
    await deps.book.commit({ block, certificate, head: { id: recordId, bytes } }, changes, (jobId) =>
      deps.releases.sealedBlob(jobId),
    )
    for (const { kind, job } of changes) {
      if (kind === 'released') deps.releases.released(job.jobId)
      deps.pending.delete(job.jobId)
      if (kind !== 'admitted') deps.attestations.forget(job.jobId)
      if (kind === 'admitted' || kind === 'certified') deps.trace?.(job.jobId, kind, { height })
    }
    this.#head = recordId
    deps.metrics.height.set(height)
    deps.metrics.roundsPerHeight.observe(certificate.round + 1)
    deps.logger.info(
      {
        height,
        admitted: block.admitted.length,
        certified: block.certified.length,
        failed: block.failed.length,
        round: certificate.round,
      },
      'block committed',
    )
    await deps.epochs.follow(block)
    const header = blockHeader(block)
    if (needsAnchoring(header)) deps.chain.anchor({ header, certificate })
    for (const change of changes) if (change.kind === 'admitted') deps.execute(change.job.jobId)
    deps.onApplied?.(changes)
    deps.onCommitted?.(block)
  }
}
