import {
  type Block,
  type Hex32,
  jobIdOf,
  type SignedJobRequest,
  scoredReleaseHash,
} from '../../protocol/index.ts'
import type { PoolJobSources } from '../pools/pool-job.ts'
import { PoolLog } from '../pools/pool-log.ts'

/** A job as every validator records it: only decided blocks change it, so all agree. */
export interface LedgerJob {
  readonly jobId: Hex32
  readonly request: SignedJobRequest
  readonly admittedHeight: number
  readonly certified?: { readonly height: number; readonly resultHash: Hex32; readonly execEnvHash: Hex32 }
  readonly released?: {
    readonly height: number
    readonly qualityScore: number
    readonly sealedHash: Hex32
    /** a committee vault's release: the set S whose score shares the block combined, who alone open the outputs */
    readonly participants?: readonly number[]
  }
  readonly failedHeight?: number
  /** millionths of epsilon charged to the vault's budget at admission */
  readonly epsilonMicros?: number
}

/** The epsilon (in millionths) an admitted request spends; must be a pure function of replicated state. */
/** `pools`: the pool logs and head as the block's validators judged it (a pool job's plan reads its snapshot). */
export type PrivacyCharge = (request: SignedJobRequest, pools: PoolJobSources) => number

/** What a block did to a job; a certification or release carries what was certified or released. */
export type LedgerChange =
  | { readonly kind: 'admitted'; readonly job: LedgerJob }
  | { readonly kind: 'certified'; readonly job: LedgerJob & Required<Pick<LedgerJob, 'certified'>> }
  | { readonly kind: 'released'; readonly job: LedgerJob & Required<Pick<LedgerJob, 'released'>> }
  | { readonly kind: 'failed'; readonly job: LedgerJob }

/**
 * The replicated job state machine. `apply` takes decided blocks in height
 * order; a job is admitted, then certified, then released (settled), or
 * fails once its deadline height passes without a release. Each
 * admission charges its vault's privacy budget, whatever becomes of the
 * job later: the spec was admitted, so its result may be released.
 */
export class Ledger {
  readonly #jobs = new Map<Hex32, LedgerJob>()
  readonly #spent = new Map<Hex32, { micros: number; jobs: number }>()
  readonly #charge: PrivacyCharge | undefined
  /** the pools' append-only logs: replicated like the jobs, by the same blocks */
  readonly pools = new PoolLog()
  #height = 0
  #headHash: Hex32
  #chainBlock = 0
  #epoch = 0

  constructor(genesisHash: Hex32, charge?: PrivacyCharge) {
    this.#headHash = genesisHash
    this.#charge = charge
  }

  /** Millionths of epsilon admitted jobs have spent on a vault, and how many jobs. */
  spent(vaultId: Hex32): { readonly micros: number; readonly jobs: number } {
    return this.#spent.get(vaultId) ?? { micros: 0, jobs: 0 }
  }

  #addSpend(job: LedgerJob): void {
    const vaultId = job.request.request.vaultId
    const before = this.spent(vaultId)
    this.#spent.set(vaultId, { micros: before.micros + (job.epsilonMicros ?? 0), jobs: before.jobs + 1 })
  }

  /** The last applied height (0 before the first block). */
  get height(): number {
    return this.#height
  }

  /** Hash of the last applied block: the next block's parentHash. */
  get headHash(): Hex32 {
    return this.#headHash
  }

  /** The last applied block's chain block number (0 before the first): the next block's lowest. */
  get chainBlock(): number {
    return this.#chainBlock
  }

  /** The last applied block's epoch (0 before the first). */
  get epoch(): number {
    return this.#epoch
  }

  job(jobId: Hex32): LedgerJob | undefined {
    return this.#jobs.get(jobId)
  }

  /** Jobs neither released nor failed. */
  openJobs(): LedgerJob[] {
    return [...this.#jobs.values()].filter((j) => !j.released && j.failedHeight === undefined)
  }

  /** Jobs a committee released (a block's scored entry) at `height` or later: phase 2 of their release. */
  scoredSince(height: number): LedgerJob[] {
    return [...this.#jobs.values()].filter(
      (j) => j.released?.participants !== undefined && j.released.height >= height,
    )
  }

  /** Re-installs a job from storage after a restart. */
  restore(job: LedgerJob, height: number, headHash: Hex32): void {
    if (!this.#jobs.has(job.jobId)) this.#addSpend(job)
    this.#jobs.set(job.jobId, job)
    this.#height = Math.max(this.#height, height)
    if (height >= this.#height) this.#headHash = headHash
  }

  restoreHead(height: number, headHash: Hex32): void {
    this.#height = height
    this.#headHash = headHash
  }

  apply(block: Block, blockHash: Hex32): LedgerChange[] {
    if (block.height !== this.#height + 1) {
      throw new RangeError(`block ${block.height} applied after height ${this.#height}`)
    }
    const changes: LedgerChange[] = []
    const put = (change: LedgerChange) => {
      this.#jobs.set(change.job.jobId, change.job)
      changes.push(change)
    }
    for (const request of block.admitted) {
      const job: LedgerJob = {
        jobId: jobIdOf(request.request),
        request,
        admittedHeight: block.height,
        ...(this.#charge
          ? { epsilonMicros: this.#charge(request, { log: this.pools, head: this.#height }) }
          : {}),
      }
      this.#addSpend(job)
      put({ kind: 'admitted', job })
    }
    for (const c of block.certified) {
      const job = this.#jobs.get(c.jobId)
      if (job) {
        put({
          kind: 'certified',
          job: {
            ...job,
            certified: { height: block.height, resultHash: c.resultHash, execEnvHash: c.execEnvHash },
          },
        })
      }
    }
    for (const r of block.released) {
      const job = this.#jobs.get(r.jobId)
      if (job) {
        put({
          kind: 'released',
          job: {
            ...job,
            released: { height: block.height, qualityScore: r.qualityScore, sealedHash: r.sealedHash },
          },
        })
      }
    }
    for (const r of block.scored ?? []) {
      const job = this.#jobs.get(r.jobId)
      if (job) {
        put({
          kind: 'released',
          job: {
            ...job,
            released: {
              height: block.height,
              qualityScore: r.qualityScore,
              sealedHash: scoredReleaseHash(r),
              participants: r.participants,
            },
          },
        })
      }
    }
    for (const jobId of block.failed) {
      const job = this.#jobs.get(jobId)
      if (job) put({ kind: 'failed', job: { ...job, failedHeight: block.height } })
    }
    this.pools.apply(block)
    this.#height = block.height
    this.#headHash = blockHash
    this.#chainBlock = block.chainBlock
    this.#epoch = block.epoch
    return changes
  }
}
