import type { Logger } from 'pino'
import {
  type Address,
  type Eip712Domain,
  type Hex32,
  outputSharesSchema,
  poolResultHash,
  type ThresholdRelease,
  thresholdReleaseCodec,
} from '../../protocol/index.ts'
import {
  type AlgorithmSpec,
  type Circuit,
  compile,
  DEFAULT_LIMITS,
  decodeBundle,
  type HeContext,
  heContext,
  isProfileName,
  parseSpec,
  planPrivacy,
  rnsBasis,
  scoreStats,
  uncompressedCiphertext,
  type VaultManifest,
} from '../../sandbox/index.ts'
import type { Ledger, LedgerJob } from '../jobs/ledger.ts'
import type { PoolJob } from '../pools/pool-job.ts'
import type { JobRecord, JsonValue, NodeStore } from '../storage/index.ts'
import type { Keyring } from './keyring.ts'
import { memberOutputs, releasableSet } from './output-shares.ts'
import { memberPoolOutputs } from './pool-output-shares.ts'
import type { ThresholdReleasePool } from './release-pool.ts'
import { type MemberOpening, memberRelease, releaseKey, statOpenings } from './release-shares.ts'

/** How often a member re-sends its (persisted, identical) release of a job not yet released. */
const RESEND_MS = 5000
/**
 * How many blocks after the release a member of S keeps re-sending its output shares (and computes
 * them, if it was down when the block was decided). Nodes that missed them catch up meanwhile;
 * the buyer fetches them from any node afterwards.
 */
export const OUTPUT_RESEND_BLOCKS = 120

/** The log line of a node that withholds a scored job's outputs: its score is below the buyer's minQuality. */
export const THRESHOLD_OUTPUTS_WITHHELD = 'threshold outputs withheld: score below minQuality'

const ownKey = (jobId: Hex32) => `threshold/own/${jobId}`
const outputsKey = (jobId: Hex32) => `threshold/outputs/${jobId}`

/** A job on a committee vault, ready to open: its manifest, and this member's key and evaluation. */
interface Opening {
  readonly manifest: VaultManifest
  readonly circuit: Circuit
  readonly input: MemberOpening
  /** a job on a pool snapshot: its plan, and the aggregate it opens whole */
  readonly pool?: { readonly job: PoolJob; readonly ctx: HeContext; readonly aggregate: Uint8Array }
}

export interface ReleaserDeps {
  readonly domain: Eip712Domain
  readonly validatorKey: Hex32
  readonly address: Address
  readonly keyring: Pick<Keyring, 'getKey' | 'getShare'>
  readonly store: Pick<NodeStore, 'putMeta' | 'getMeta' | 'blobs'>
  readonly ledger: Pick<Ledger, 'openJobs' | 'scoredSince' | 'height'>
  readonly record: (jobId: Hex32) => Promise<JobRecord | undefined>
  readonly manifest: (vaultId: Hex32) => Promise<VaultManifest | undefined>
  readonly pool: Pick<ThresholdReleasePool, 'keep'>
  readonly publish: (release: ThresholdRelease) => Promise<void>
  readonly logger: Logger
  /** a job on a pool snapshot, from the replicated pool log (absent: pool jobs are not released here) */
  readonly poolJob?: (manifest: VaultManifest, spec: AlgorithmSpec) => PoolJob
}

/**
 * This node's part in threshold releases, in two phases. Phase 1: for the certified, unreleased
 * jobs on committee vaults whose key it holds a share of, once its own evaluation of the certified
 * result is here, it computes its score shares, persists them, and only then sends them; it
 * re-sends the persisted bytes until a block releases the job. Phase 2: once a decided block's
 * scored entry names a set S containing this member and a score that reaches the buyer's minimum,
 * it computes its output shares for S (with its privacy noise), persists them, sends them, and
 * re-sends the stored bytes for OUTPUT_RESEND_BLOCKS blocks. Nothing is recomputed once stored, so
 * no retry, restart or other set ever sends fresh noise for the same opening.
 */
export class ThresholdReleaser {
  readonly #deps: ReleaserDeps
  #timer: NodeJS.Timeout | undefined
  #tick: Promise<void> = Promise.resolve()
  #attempts = 0
  /** The scored jobs whose outputs this node withholds and has said so, once each (pruned with `scored`). */
  readonly #withheld = new Set<Hex32>()

  constructor(deps: ReleaserDeps) {
    this.#deps = deps
  }

  start(): void {
    this.#timer = setInterval(() => void this.nudge(), RESEND_MS)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
  }

  /** Runs one pass now (a block just certified something), after any pass under way. */
  nudge(): Promise<void> {
    this.#tick = this.#tick
      .then(() => this.#pass())
      .catch((err) => this.#deps.logger.warn({ err }, 'threshold release pass failed'))
    return this.#tick
  }

  async #pass(): Promise<void> {
    const attempt = this.#attempts++
    const { ledger } = this.#deps
    const certified = ledger.openJobs().filter((j) => j.certified)
    const scored = ledger.scoredSince(Math.max(0, ledger.height - OUTPUT_RESEND_BLOCKS))
    for (const job of certified) await this.#send(job, attempt, 'score', (j) => this.#releaseOf(j))
    for (const job of scored) await this.#send(job, attempt, 'outputs', (j) => this.#outputsOf(j))
    const window = new Set(scored.map((j) => j.jobId))
    for (const id of this.#withheld) if (!window.has(id)) this.#withheld.delete(id)
  }

  /** Keeps and gossips this member's stored (or newly computed and stored) release of one job. */
  async #send(
    job: LedgerJob,
    attempt: number,
    phase: 'score' | 'outputs',
    releaseOf: (job: LedgerJob) => Promise<ThresholdRelease | undefined>,
  ): Promise<void> {
    try {
      const release = await releaseOf(job)
      if (!release) return
      await this.#deps.pool.keep(release)
      await this.#deps.publish({ ...release, attempt }).catch(() => undefined)
    } catch (err) {
      this.#deps.logger.warn({ err, jobId: job.jobId, phase }, 'threshold release failed')
    }
  }

  /**
   * Phase 2: the stored output shares, or new ones computed and stored now; undefined when this
   * member is not in the block's set, or the block's score is below what the buyer pays for (then
   * no member of S ever produces them).
   */
  async #outputsOf(job: LedgerJob): Promise<ThresholdRelease | undefined> {
    const deps = this.#deps
    const participants = releasableSet(job)
    if (!participants) {
      // The pass that would have computed this job's output shares decided not to: said once, so a
      // watcher (test/threshold-e2e.test.ts) knows phase 2 is over for the job on this node.
      if (job.released && !this.#withheld.has(job.jobId)) {
        this.#withheld.add(job.jobId)
        deps.logger.info(
          { jobId: job.jobId, qualityScore: job.released.qualityScore },
          THRESHOLD_OUTPUTS_WITHHELD,
        )
      }
      return undefined
    }
    const own = await deps.store.getMeta(ownKey(job.jobId), thresholdReleaseCodec.schema)
    if (!own || !participants.includes(own.share.member)) return undefined
    const spec = parseSpec(job.request.request.algorithm.spec)
    const stored = await deps.store.getMeta(outputsKey(job.jobId), outputSharesSchema)
    if (stored) return { ...own, outputs: stored }
    const opening = await this.#opening(job)
    if (!opening || opening.input.resultHash !== own.share.resultHash) return undefined
    const started = performance.now()
    const { circuit, pool } = opening
    const buyerKey = job.request.request.sealingPublicKey
    const outputs = pool
      ? memberPoolOutputs({
          ...opening.input,
          ctx: pool.ctx,
          aggregate: pool.aggregate,
          participants,
          slotNoise: pool.job.slotNoise,
          recordBound: circuit.recordCount,
          buyerKey,
        })
      : memberOutputs({
          ...opening.input,
          participants,
          plan: planPrivacy(spec, circuit, opening.manifest),
          buyerKey,
        })
    // Persisted before it is ever sent: the noise in it is drawn once for this job.
    await deps.store.putMeta(outputsKey(job.jobId), outputs)
    deps.logger.info(
      {
        jobId: job.jobId,
        member: own.share.member,
        participants,
        ms: Math.round(performance.now() - started),
      },
      'threshold output shares computed',
    )
    return { ...own, outputs }
  }

  /** This member's key and its own evaluation of the certified result, once both are here. */
  async #opening(job: LedgerJob): Promise<Opening | undefined> {
    const deps = this.#deps
    const manifest = await deps.manifest(job.request.request.vaultId)
    const holder = manifest?.keyHolder
    if (!manifest || !holder || !isProfileName(manifest.profile)) return undefined
    const [record, held, committee] = await Promise.all([
      deps.record(job.jobId),
      deps.keyring.getShare(holder.keyHash),
      deps.keyring.getKey(holder.keyHash),
    ])
    if (!held || !committee) return undefined
    // Only the result the network certified, and only once this node evaluated it itself.
    if (!record?.resultBlob || record.resultHash !== job.certified?.resultHash) return undefined
    const bytes = await deps.store.blobs.get(record.resultBlob as Hex32)
    if (!bytes) return undefined
    const bundle = decodeBundle(bytes)
    const spec = parseSpec(job.request.request.algorithm.spec)
    // A pool job's certified hash binds the bundle to the snapshot's payouts (poolResultHash).
    const pool = manifest.pool ? deps.poolJob?.(manifest, spec) : undefined
    if (manifest.pool && !pool) return undefined
    const certified = pool ? poolResultHash(bundle.resultHash, pool.payouts) : bundle.resultHash
    if (certified !== record.resultHash) return undefined
    const ctx = await heContext(manifest.profile)
    const basis = rnsBasis(ctx)
    const key = releaseKey(basis, held, committee.members.length, deps.validatorKey)
    const common = {
      domain: deps.domain,
      validatorKey: deps.validatorKey,
      validator: deps.address,
      basis,
      key,
      keyHash: holder.keyHash,
      jobId: job.jobId,
      resultHash: certified,
    }
    if (pool) {
      const aggregate = bundle.stats[0]
      if (bundle.stats.length !== 1 || !aggregate) return undefined
      // The score opens nothing (poolScore): the pass-through stats are never read by phase 1.
      const input = { ...common, stats: [aggregate] }
      return { manifest: pool.manifest, circuit: pool.circuit, input, pool: { job: pool, ctx, aggregate } }
    }
    const circuit = compile(spec, manifest, DEFAULT_LIMITS)
    const results = bundle.stats.map((s) => uncompressedCiphertext(ctx, s))
    return {
      manifest,
      circuit,
      input: {
        ...common,
        ...statOpenings(results, circuit.packs, circuit.stats.length, ctx.profile.slotCount),
      },
    }
  }

  /** The stored release, or a new one computed and stored now; undefined when this node has no part yet. */
  async #releaseOf(job: LedgerJob): Promise<ThresholdRelease | undefined> {
    const deps = this.#deps
    // Most certified jobs are on vaults their owners release: asked first, from the vault cache, so
    // a pass over a burst's certified jobs does not read the store once for each of them.
    if (!(await deps.manifest(job.request.request.vaultId))?.keyHolder) return undefined
    const stored = await deps.store.getMeta(ownKey(job.jobId), thresholdReleaseCodec.schema)
    if (stored) return stored
    const opening = await this.#opening(job)
    if (!opening) return undefined
    const spec = parseSpec(job.request.request.algorithm.spec)
    const { circuit } = opening
    const started = performance.now()
    // A pool job's score reads the snapshot's public counts only: its shares open no statistic.
    const release = memberRelease({
      ...opening.input,
      scoreIndices: opening.pool ? [] : scoreStats(circuit, opening.manifest, spec.expect),
      plan: opening.pool ? opening.pool.job.plan : planPrivacy(spec, circuit, opening.manifest),
    })
    // Persisted before it is ever sent: what goes out is always these bytes.
    await deps.store.putMeta(ownKey(job.jobId), release as unknown as JsonValue)
    deps.logger.info(
      { jobId: job.jobId, member: release.share.member, ms: Math.round(performance.now() - started) },
      'threshold release computed',
    )
    return release
  }
}
