import type { Logger } from 'pino'
import {
  type Address,
  blobIdOf,
  type CommitteeInfo,
  canonicalBytes,
  contributionUploadCodec,
  DecodeError,
  type Eip712Domain,
  type Hex32,
  type JobPayouts,
  jobIdOf,
  type MessageCodec,
  manifestBlob,
  type PoolInfo,
  type PoolSnapshotView,
  poolBanCodec,
  type SealedResult,
  type SignedJobRequest,
  sealedResultCodec,
  signedJobRequestCodec,
  type ThresholdRelease,
  vaultBlobIds,
  verifyJobRequest,
  verifyRelease,
} from '../protocol/index.ts'
import {
  type CompileLimits,
  circuitIdOf,
  compile,
  MICROS,
  parseManifest,
  parseSpec,
  planPrivacy,
  privacyPreview,
} from '../sandbox/index.ts'
import type { ChainInfo, NodeService, NodeStatus, VaultSummary } from './api/index.ts'
import type { Epochs } from './consensus/epochs.ts'
import {
  MalformedRequest,
  NodeBusy,
  NotPermitted,
  Refused,
  StateConflict,
  Unauthenticated,
} from './errors.ts'
import { vaultBudget } from './jobs/budget.ts'
import type { JobBook } from './jobs/job-book.ts'
import type { Ledger } from './jobs/ledger.ts'
import { type PayoutsOf, servedPayouts } from './jobs/payouts.ts'
import type { ReleasePool } from './jobs/releases.ts'
import type { ResultBundles } from './jobs/result-bundles.ts'
import type { Verdict } from './jobs/rules.ts'
import type { PoolApi } from './pools/pool-api.ts'
import type { NodeNetwork, TopicMessages, TopicName } from './ports.ts'
import type { JobPreview, VaultBudget } from './sdk/types.ts'
import type { JobRecord, NodeStore, StoredBlock } from './storage/index.ts'
import type { Keyring } from './threshold/index.ts'
import type { ThresholdReleasePool } from './threshold/release-pool.ts'
import type { VaultDirectory } from './vault-directory.ts'
import type { VaultUploads } from './vault-uploads.ts'

export const NODE_VERSION = '0.1.0'

export interface ApiServiceDeps {
  /** the pools' API (node/pools/pool-api.ts) */
  readonly pools?: PoolApi
  readonly address: Address
  readonly chainInfo: ChainInfo
  readonly domain: Eip712Domain
  readonly store: Pick<NodeStore, 'blobs' | 'putVault' | 'getVault' | 'listVaults' | 'getBlock'>
  readonly ledger: Ledger
  readonly epochs: Pick<Epochs, 'current'>
  readonly book: Pick<JobBook, 'get' | 'list' | 'accepted'>
  /** requests waiting for a block, by job id */
  readonly pending: Map<Hex32, SignedJobRequest>
  readonly releases: Pick<ReleasePool, 'keep'>
  /** committee-vault member releases held here */
  readonly thresholdReleases?: Pick<ThresholdReleasePool, 'releasesOf'>
  readonly keyring?: Pick<Keyring, 'keyOfEpoch'>
  readonly bundles: Pick<ResultBundles, 'vaultOf'>
  readonly vaults: VaultDirectory
  readonly uploads: VaultUploads
  readonly admissible: (signed: SignedJobRequest) => Promise<Verdict>
  /** told of a request newly waiting here, so its vault's blobs can be made ready before admission */
  readonly onPending?: (jobId: Hex32, signed: SignedJobRequest) => void
  /** a vault was published here: its blobs are all here, so this node can ready it before any job */
  readonly onPublished?: (vaultId: Hex32) => void
  /** what this node is willing to take on (previews are priced by it) */
  readonly limits: CompileLimits
  /** the consensus round at the current height */
  readonly round: () => number
  /** the p2p network once started: before, nothing is published and no peer is known */
  readonly network: () => NodeNetwork | undefined
  /** a pool job's snapshot counts and bundle hash, from the pool log (none until pools are wired in) */
  readonly payoutsOf?: PayoutsOf
  /** the DKG service's view of an epoch's committee key */
  readonly committee: (epoch?: number) => Promise<CommitteeInfo | undefined>
  readonly logger: Logger
}

/**
 * What the node does for API callers: it checks signatures and ownership, refuses with typed
 * refusals (node/errors.ts), and hands accepted jobs and releases to gossip. HTTP is the API
 * server's business (node/api/refusals.ts maps refusals to statuses).
 */
export class ApiService implements NodeService {
  readonly #deps: ApiServiceDeps

  readonly #payouts: (jobId: Hex32) => Promise<JobPayouts | undefined>

  constructor(deps: ApiServiceDeps) {
    this.#deps = deps
    const { payoutsOf } = deps
    this.#payouts =
      payoutsOf === undefined
        ? async () => undefined
        : servedPayouts(payoutsOf, async (jobId) => (await deps.book.get(jobId))?.resultHash)
  }

  async status(): Promise<NodeStatus> {
    const { ledger, epochs } = this.#deps
    const network = this.#deps.network()
    const epoch = epochs.current
    return {
      version: NODE_VERSION,
      address: this.#deps.address,
      peerId: network?.peerId ?? '',
      peers: network?.peers() ?? [],
      gossip: network?.gossipCounters() ?? {},
      height: ledger.height,
      round: this.#deps.round(),
      epoch: epoch.number,
      validators: epoch.validators.validators.map((v) => ({ address: v.address, power: v.power })),
      chain: this.#deps.chainInfo,
    }
  }

  hasStanding(signer: Address): boolean {
    const address = signer.toLowerCase() as Address
    return this.#deps.epochs.current.validators.has(address) || this.#deps.vaults.isKnownOwner(address)
  }

  async putBlob(id: Hex32, bytes: Uint8Array, upload: { signer: Address; vaultId?: Hex32 }): Promise<void> {
    if (blobIdOf(bytes) !== id) throw new Refused('BLOB_ID_MISMATCH', `the body does not hash to ${id}`)
    await this.#deps.uploads.upload(id, bytes, upload.signer, upload.vaultId)
  }

  announceVault(
    body: unknown,
    signer: Address,
  ): Promise<{ vaultId: Hex32; expiresAt: string; blobs: number }> {
    return this.#deps.uploads.announce(body, signer)
  }

  /**
   * Vault blobs (record ciphertexts, evaluation keys) are public: buyers and validators need them.
   * A result bundle goes only to a validator or the vault's owner, by a signed request.
   */
  async getBlob(id: Hex32, reader?: Address): Promise<Uint8Array | undefined> {
    const vaultId = this.#deps.bundles.vaultOf(id)
    if (vaultId !== undefined) {
      if (!reader) {
        throw new Unauthenticated(
          'UNSIGNED',
          'a result bundle is served only to a signed request of a validator or the vault owner',
        )
      }
      const owner = await this.#deps.vaults.owner(vaultId).catch(() => undefined)
      if (!this.#deps.epochs.current.validators.has(reader) && reader !== owner) {
        throw new NotPermitted(
          'BLOB_RESTRICTED',
          `${reader} is neither a validator nor the owner of vault ${vaultId}`,
        )
      }
    }
    return this.#deps.store.blobs.get(id)
  }

  async publishVault(body: unknown, signer: Address): Promise<{ vaultId: Hex32; manifestHash: Hex32 }> {
    const { store, vaults } = this.#deps
    const manifest = parseManifest(body)
    const vaultId = manifest.vaultId as Hex32
    const owner = await vaults.owner(vaultId)
    if (owner !== signer.toLowerCase())
      throw new NotPermitted('NOT_VAULT_OWNER', `vault ${vaultId} is registered to ${owner}, not ${signer}`)
    const missing: Hex32[] = []
    for (const id of vaultBlobIds(manifest)) if (!(await store.blobs.has(id))) missing.push(id)
    if (missing.length > 0) {
      throw new Refused('BLOBS_MISSING', `upload the vault's blobs first: ${missing.length} missing`, {
        missing: missing.slice(0, 100),
      })
    }
    const blob = manifestBlob(manifest)
    await store.blobs.put(blob.id, blob.bytes)
    await store.putVault(manifest)
    vaults.remember(manifest)
    this.#deps.uploads.published(vaultId)
    this.#deps.logger.info({ vaultId, manifestHash: blob.id }, 'vault published')
    this.#deps.onPublished?.(vaultId)
    return { vaultId, manifestHash: blob.id }
  }

  async vaults(): Promise<VaultSummary[]> {
    return (await this.#deps.store.listVaults()).map(({ manifest, receivedAt }) => ({
      vaultId: manifest.vaultId as Hex32,
      recordCount: manifest.recordCount,
      profile: manifest.profile,
      policy: manifest.policy,
      columns: manifest.schema.columns.map((c) => c.name),
      receivedAt,
    }))
  }

  async vault(vaultId: Hex32): Promise<unknown | undefined> {
    return (await this.#deps.store.getVault(vaultId))?.manifest
  }

  /** A vault's privacy budget as the ledger holds it at the current height. */
  async budget(vaultId: Hex32): Promise<VaultBudget | undefined> {
    const manifest = await this.#deps.vaults.manifest(vaultId).catch(() => undefined)
    if (!manifest) return undefined
    const { ledger } = this.#deps
    const spent = ledger.spent(vaultId)
    return vaultBudget(manifest, ledger.height, spent.micros, spent.jobs)
  }

  async preview(vaultId: Hex32, spec: unknown): Promise<JobPreview> {
    const { ledger } = this.#deps
    const manifest = await this.#deps.vaults.manifest(vaultId)
    const parsed = parseSpec(spec)
    const circuit = compile(parsed, manifest, this.#deps.limits)
    const plan = planPrivacy(parsed, circuit, manifest)
    const spent = ledger.spent(vaultId)
    const budget = vaultBudget(manifest, ledger.height, spent.micros, spent.jobs)
    return {
      vaultId,
      circuitId: circuitIdOf(circuit),
      cost: circuit.cost,
      privacy: privacyPreview(plan),
      budget,
      admissible: plan.epsilonMicros <= Math.round(budget.remaining * MICROS),
    }
  }

  async submitJob(body: unknown): Promise<{ jobId: Hex32 }> {
    const signed = decodeBody(signedJobRequestCodec, body, 'a signed job request')
    if (!verifyJobRequest(this.#deps.domain, signed))
      throw new Unauthenticated('BAD_SIGNATURE', 'the request is not signed by its buyer')
    const jobId = jobIdOf(signed.request)
    const existing = await this.#deps.book.get(jobId)
    if (existing && existing.stage !== 'failed') return { jobId }
    const verdict = await this.#deps.admissible(signed)
    // A refusal is the answer, not a record: anyone can sign junk requests, and storing each
    // would let them fill the disk.
    if (!verdict.ok) throw new Refused(verdict.code, verdict.message)
    await this.#deps.book.accepted(signed, jobId)
    this.#deps.pending.set(jobId, signed)
    this.#deps.onPending?.(jobId, signed)
    await this.#publish('jobs', signed)
    this.#deps.logger.info({ jobId, vaultId: signed.request.vaultId }, 'job accepted')
    return { jobId }
  }

  job(jobId: Hex32): Promise<JobRecord | undefined> {
    return this.#deps.book.get(jobId)
  }

  jobs(filter: { vault?: Hex32; stage?: JobRecord['stage'] }): Promise<JobRecord[]> {
    return this.#deps.book.list(filter)
  }

  committee(epoch?: number): Promise<CommitteeInfo | undefined> {
    return this.#deps.committee(epoch)
  }

  block(height: number): Promise<StoredBlock | undefined> {
    return this.#deps.store.getBlock(height)
  }

  /** An owner's release: verified like its gossip, kept, gossiped, and proposed for the next block. */
  async submitRelease(body: unknown): Promise<{ jobId: Hex32 }> {
    const sealed = decodeBody(sealedResultCodec, body, 'a sealed result')
    const { release } = sealed
    if (!verifyRelease(this.#deps.domain, release))
      throw new Unauthenticated('BAD_SIGNATURE', 'the release is not signed by its owner')
    const job = this.#deps.ledger.job(release.jobId)
    if (!job?.certified)
      throw new Refused('NOT_CERTIFIED', `job ${release.jobId} has no certified result here`)
    if (job.released || job.failedHeight !== undefined)
      throw new StateConflict('JOB_CLOSED', `job ${release.jobId} is closed`)
    if (job.certified.resultHash !== release.resultHash)
      throw new Refused(
        'RESULT_MISMATCH',
        `the release names result ${release.resultHash}, not the certified one`,
      )
    const owner = await this.#deps.vaults.owner(job.request.request.vaultId)
    if (owner !== release.owner.toLowerCase())
      throw new NotPermitted('NOT_VAULT_OWNER', `${release.owner} does not own the vault`)
    await this.#deps.releases.keep(sealed)
    await this.#publish('releases', sealed)
    this.#deps.logger.info({ jobId: release.jobId, qualityScore: release.qualityScore }, 'release accepted')
    return { jobId: release.jobId }
  }

  async sealed(jobId: Hex32): Promise<SealedResult | undefined> {
    const id = (await this.#deps.book.get(jobId))?.sealedResult
    const bytes = id ? await this.#deps.store.blobs.get(id as Hex32) : undefined
    return bytes ? sealedResultCodec.decode(bytes) : undefined
  }

  async thresholdReleases(jobId: Hex32): Promise<{ releases: ThresholdRelease[] }> {
    return { releases: (await this.#deps.thresholdReleases?.releasesOf(jobId)) ?? [] }
  }

  payouts(jobId: Hex32): Promise<JobPayouts | undefined> {
    return this.#payouts(jobId)
  }

  submitContribution(poolId: Hex32, body: unknown): Promise<{ contributionId: Hex32; blobId: Hex32 }> {
    const upload = decodeBody(contributionUploadCodec, body, 'a contribution')
    return this.#pools().submit(poolId, upload)
  }

  banContributor(poolId: Hex32, body: unknown): Promise<{ poolId: Hex32; contributor: Address }> {
    return this.#pools().ban(poolId, decodeBody(poolBanCodec, body, 'a pool ban'))
  }

  pool(poolId: Hex32): Promise<PoolInfo | undefined> {
    return this.#pools().pool(poolId)
  }

  poolSnapshot(poolId: Hex32, height: number): Promise<PoolSnapshotView | undefined> {
    return this.#pools().snapshot(poolId, height)
  }

  #pools(): PoolApi {
    if (!this.#deps.pools) throw new NodeBusy('POOLS_UNAVAILABLE', 'this node takes no pool requests')
    return this.#deps.pools
  }

  async #publish<K extends TopicName>(topic: K, message: TopicMessages[K]): Promise<void> {
    await this.#deps.network()?.publish(topic, message)
  }
}

/** A JSON body checked like wire bytes: the codec's schema, size limit and content checks. */
export function decodeBody<T>(codec: MessageCodec<T>, body: unknown, what: string): T {
  try {
    return codec.decode(canonicalBytes(body))
  } catch (e) {
    if (e instanceof DecodeError) throw new MalformedRequest(e.code, e.message)
    throw new MalformedRequest('MALFORMED', `the body is not ${what}`)
  }
}
