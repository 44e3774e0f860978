import type { Block, CommitCertificate, Hex32, SignedJobRequest } from '../../protocol/index.ts'
import type { StageInterval } from '../metrics.ts'
import type { DecidedRecordBlob, JobRecord, JobStage, NodeStore, Settlement } from '../storage/index.ts'
import { advance, newJobRecord } from './job-records.ts'
import type { LedgerChange } from './ledger.ts'

/** How long a record took to enter a stage, observed once per stage change. */
export type StageObserver = (
  interval: StageInterval,
  from: string | undefined,
  to: string | undefined,
) => void

export interface JobBookInit {
  readonly store: Pick<NodeStore, 'getJob' | 'putJob' | 'listJobs' | 'getBlock' | 'commitBlock'>
  readonly observeStage: StageObserver
}

/** A decided block as it is committed: the block, its certificate and the decided record it heads. */
export interface BlockCommit {
  readonly block: Block
  readonly certificate: CommitCertificate
  readonly head: DecidedRecordBlob
}

/**
 * What a change queued, as the promise of its landing on disk. Wrapped: an async function that
 * returned the promise itself would be awaited to its end, landing included.
 */
interface Queued<T> {
  readonly landed: Promise<T>
}

/** A change that wrote nothing. */
const LANDED: Queued<void> = { landed: Promise.resolve() }

const STAGE_INTERVALS: Partial<Record<JobStage, { name: StageInterval; from: JobStage }>> = {
  admitted: { name: 'admission', from: 'pending' },
  attested: { name: 'execution', from: 'admitted' },
  certified: { name: 'certification', from: 'admitted' },
  anchored: { name: 'anchoring', from: 'certified' },
  released: { name: 'release', from: 'certified' },
}

/**
 * This node's job records, and the only writer of them. Records are read,
 * changed and written back by commits, executions, anchors, releases and
 * settlements; all of them go through one queue here, so no write is made
 * from a stale read (a late `attested` would otherwise erase a commit's
 * `certifiedHeight`).
 */
export class JobBook {
  readonly #store: JobBookInit['store']
  readonly #observe: StageObserver
  /** Settles once the last change queued so far has queued its writes. */
  #writes: Promise<unknown> = Promise.resolve()
  /** Settles once the last change queued so far has landed (writes land in the order queued). */
  #landed: Promise<unknown> = Promise.resolve()
  /** Records whose writes are queued in the store and not yet on disk, by job. */
  readonly #queued = new Map<Hex32, JobRecord>()

  constructor(init: JobBookInit) {
    this.#store = init.store
    this.#observe = init.observeStage
  }

  get(jobId: Hex32): Promise<JobRecord | undefined> {
    return this.#store.getJob(jobId)
  }

  async list(filter: { readonly vault?: Hex32; readonly stage?: JobStage }): Promise<JobRecord[]> {
    return this.#store.listJobs({
      ...(filter.stage ? { stage: filter.stage } : {}),
      ...(filter.vault ? { vault: filter.vault } : {}),
    })
  }

  /**
   * A request this node accepted and gossips: recorded as pending over nothing or an earlier
   * refusal only, since gossip may have got the job admitted meanwhile.
   */
  accepted(signed: SignedJobRequest, jobId: Hex32): Promise<void> {
    return this.#serially(async () => {
      const current = await this.#current(jobId)
      return !current || current.refusal
        ? { landed: this.#put(jobId, newJobRecord(signed, 'pending')) }
        : LANDED
    })
  }

  /** Moves a job's record forward (never back) and merges `fields`; a job without a record is left alone. */
  advance(jobId: Hex32, stage: JobStage, fields: Partial<JobRecord> = {}): Promise<void> {
    return this.#serially(async () => {
      const record = await this.#current(jobId)
      if (!record) return LANDED
      const next = advance(record, stage, fields)
      const landed = this.#put(jobId, next)
      return { landed: next.stage === record.stage ? landed : landed.then(() => this.#observed(next)) }
    })
  }

  /** Records how a job's escrow was closed on chain; settlements only ever arrive once closed. */
  settled(jobId: Hex32, settlement: Settlement): Promise<void> {
    return this.advance(jobId, 'pending', { settlement })
  }

  /** Records the anchoring transaction on every job whose outcome the block at `height` carries. */
  anchored(height: number, txHash: Hex32): Promise<number> {
    return this.#serially(async () => {
      const stored = await this.#store.getBlock(height)
      if (!stored) return { landed: Promise.resolve(0) }
      const { block } = stored
      const jobs = [
        ...block.certified.map((c) => c.jobId),
        ...block.released.map((r) => r.jobId),
        ...(block.scored ?? []).map((r) => r.jobId),
        ...block.failed,
      ]
      const writes: Promise<void>[] = []
      for (const jobId of jobs) {
        const record = await this.#current(jobId)
        if (!record) continue
        const stage = block.certified.some((c) => c.jobId === jobId) ? 'anchored' : record.stage
        // Anchors complete out of order; the record names the latest anchored block carrying the job.
        const newer = record.anchorTx !== undefined && record.anchorTx.height > height
        const next = advance(record, stage, newer ? {} : { anchorTx: { height, txHash } })
        const landed = this.#put(jobId, next)
        writes.push(next.stage === record.stage ? landed : landed.then(() => this.#observed(next)))
      }
      return { landed: Promise.all(writes).then(() => jobs.length) }
    })
  }

  /**
   * Stores a decided block with the records its ledger changes make, the WAL pruned below it and
   * its decided record as the head, in one atomic store batch.
   */
  commit(
    decided: BlockCommit,
    changes: readonly LedgerChange[],
    sealedResult: (jobId: Hex32) => Hex32 | undefined,
  ): Promise<void> {
    return this.#serially(async () => {
      const { height } = decided.block
      const updates: JobRecord[] = []
      for (const change of changes) {
        const { job } = change
        const record = (await this.#current(job.jobId)) ?? newJobRecord(job.request, 'pending')
        updates.push(advance(record, ...outcome(change, height, sealedResult)))
      }
      // Waited for before the next change reads: a block the store refuses must leave no record
      // behind for a later change to build on.
      await this.#store.commitBlock(height, decided.block, decided.certificate, updates, height, decided.head)
      for (const update of updates) this.#observed(update)
      return LANDED
    })
  }

  /** Resolves once every write queued so far is done. */
  async idle(): Promise<void> {
    await this.#writes
    await this.#landed
  }

  /**
   * Runs `change` once every change queued before it has queued its writes. A change reads records
   * (the queued ones included, see #current), queues its writes and returns the promise of their
   * landing; the next change starts at once, so changes made close together share one synced batch
   * in the store (group commit) instead of each waiting for the fsync of the one before. The
   * caller's promise resolves once the change is on disk.
   */
  #serially<T>(change: () => Promise<Queued<T>>): Promise<T> {
    const queued = this.#writes.then(change)
    this.#writes = queued.catch(() => undefined)
    const landed = queued.then((q) => q.landed)
    this.#landed = landed.catch(() => undefined)
    return landed
  }

  /** A job's record as the next change must see it: its queued write if one is in flight. */
  async #current(jobId: Hex32): Promise<JobRecord | undefined> {
    return this.#queued.get(jobId) ?? (await this.#store.getJob(jobId))
  }

  /** Queues a record's write; resolves once it is on disk. Only inside #serially. */
  #put(jobId: Hex32, record: JobRecord): Promise<void> {
    const landed = this.#store.putJob(jobId, record)
    this.#queued.set(jobId, record)
    const settled = () => {
      if (this.#queued.get(jobId) === record) this.#queued.delete(jobId)
    }
    landed.then(settled, settled)
    return landed
  }

  /** The latency of the stage a record just entered, from the stage that starts it. */
  #observed(record: JobRecord): void {
    const interval = STAGE_INTERVALS[record.stage]
    if (interval) this.#observe(interval.name, record.stages[interval.from], record.stages[record.stage])
  }
}

/** The stage and fields a ledger change moves a job's record to. */
function outcome(
  change: LedgerChange,
  height: number,
  sealedResult: (jobId: Hex32) => Hex32 | undefined,
): [JobStage, Partial<JobRecord>] {
  const { job } = change
  switch (change.kind) {
    case 'admitted':
      return ['admitted', { admittedHeight: height }]
    case 'certified':
      return ['certified', { certifiedHeight: height, resultHash: change.job.certified.resultHash }]
    case 'released': {
      const sealed = sealedResult(job.jobId)
      return [
        'released',
        {
          releasedHeight: height,
          qualityScore: change.job.released.qualityScore,
          ...(sealed ? { sealedResult: sealed } : {}),
        },
      ]
    }
    case 'failed':
      return [
        'failed',
        {
          failedHeight: height,
          failReason: job.certified
            ? 'the deadline passed without a release of the certified result'
            : 'the deadline passed without a result certificate',
        },
      ]
  }
}
