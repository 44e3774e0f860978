import type { Logger } from 'pino'
import {
  type Address,
  type Eip712Domain,
  type Hex32,
  type ThresholdRelease,
  thresholdReleaseCodec,
} from '../../protocol/index.ts'
import {
  compile,
  DEFAULT_LIMITS,
  decodeBundle,
  heContext,
  isProfileName,
  parseSpec,
  rnsBasis,
  scoreStats,
  uncompressedCiphertext,
  type VaultManifest,
} from '../../sandbox/index.ts'
import type { Ledger, LedgerJob } from '../jobs/ledger.ts'
import type { JobRecord, NodeStore } from '../storage/index.ts'
import type { Keyring } from './keyring.ts'
import type { ThresholdReleasePool } from './release-pool.ts'
import { memberRelease, releaseKey } from './release-shares.ts'

/** How often a member re-sends its (persisted, identical) release of a job not yet released. */
const RESEND_MS = 5000

const ownKey = (jobId: Hex32) => `threshold/own/${jobId}`

export interface ReleaserDeps {
  readonly domain: Eip712Domain
  readonly validatorKey: Hex32
  readonly address: Address
  readonly keyring: Pick<Keyring, 'getKey' | 'getShare'>
  readonly store: Pick<NodeStore, 'putMeta' | 'getMeta' | 'blobs'>
  readonly ledger: Pick<Ledger, 'openJobs'>
  readonly record: (jobId: Hex32) => Promise<JobRecord | undefined>
  readonly manifest: (vaultId: Hex32) => Promise<VaultManifest | undefined>
  readonly pool: Pick<ThresholdReleasePool, 'keep'>
  readonly publish: (release: ThresholdRelease) => Promise<void>
  readonly logger: Logger
}

/**
 * This node's part in threshold releases. Each tick it looks at the certified, unreleased jobs on
 * committee vaults whose key it holds a share of: once its own evaluation of the certified result
 * is here it computes its release, persists it, and only then sends it; after that it re-sends the
 * persisted bytes until a block releases the job. A release is never recomputed once stored, so
 * no retry, restart or new participant set ever sends fresh noise for the same opening.
 */
export class ThresholdReleaser {
  readonly #deps: ReleaserDeps
  #timer: NodeJS.Timeout | undefined
  #tick: Promise<void> = Promise.resolve()
  #attempts = 0

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
    for (const job of this.#deps.ledger.openJobs()) {
      if (!job.certified) continue
      try {
        const release = await this.#releaseOf(job)
        if (!release) continue
        await this.#deps.pool.keep(release)
        await this.#deps.publish({ ...release, attempt }).catch(() => undefined)
      } catch (err) {
        this.#deps.logger.warn({ err, jobId: job.jobId }, 'threshold release failed')
      }
    }
  }

  /** The stored release, or a new one computed and stored now; undefined when this node has no part yet. */
  async #releaseOf(job: LedgerJob): Promise<ThresholdRelease | undefined> {
    const deps = this.#deps
    const stored = await deps.store.getMeta(ownKey(job.jobId), thresholdReleaseCodec.schema)
    if (stored) return stored
    const manifest = await deps.manifest(job.request.request.vaultId)
    const holder = manifest?.keyHolder
    if (!manifest || !holder || !isProfileName(manifest.profile)) return undefined
    const [record, held, key] = await Promise.all([
      deps.record(job.jobId),
      deps.keyring.getShare(holder.keyHash),
      deps.keyring.getKey(holder.keyHash),
    ])
    if (!held || !key) return undefined
    // Only the result the network certified, and only once this node evaluated it itself.
    if (!record?.resultBlob || record.resultHash !== job.certified!.resultHash) return undefined
    const bytes = await deps.store.blobs.get(record.resultBlob as Hex32)
    if (!bytes) return undefined
    const bundle = decodeBundle(bytes)
    if (bundle.resultHash !== job.certified!.resultHash) return undefined
    const ctx = await heContext(manifest.profile)
    const basis = rnsBasis(ctx)
    const spec = parseSpec(job.request.request.algorithm.spec)
    const circuit = compile(spec, manifest, DEFAULT_LIMITS)
    const started = performance.now()
    const release = memberRelease({
      domain: deps.domain,
      validatorKey: deps.validatorKey,
      validator: deps.address,
      basis,
      key: releaseKey(basis, held, key.members.length, deps.validatorKey),
      keyHash: holder.keyHash,
      jobId: job.jobId,
      resultHash: bundle.resultHash,
      stats: bundle.stats.map((s) => uncompressedCiphertext(ctx, s)),
      scoreIndices: scoreStats(circuit, manifest, spec.expect),
      buyerKey: job.request.request.sealingPublicKey,
    })
    // Persisted before it is ever sent: what goes out is always these bytes.
    await deps.store.putMeta(ownKey(job.jobId), release)
    deps.logger.info(
      { jobId: job.jobId, member: held.member, ms: Math.round(performance.now() - started) },
      'threshold release computed',
    )
    return release
  }
}
