import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { ConsensusParams } from '../consensus/index.ts'
import {
  type Address,
  addressOfPrivateKey,
  type Eip712Domain,
  type Hex32,
  type SignedJobRequest,
  ZERO_HASH,
} from '../protocol/index.ts'
import type { CompileLimits } from '../sandbox/index.ts'
import type { ChainInfo } from './api/index.ts'
import type { ApiService } from './api-service.ts'
import { Epochs } from './consensus/epochs.ts'
import type { GossipHandlers } from './gossip/index.ts'
import type { EscrowTerms } from './jobs/chain-facts.ts'
import { JobStateError } from './jobs/errors.ts'
import { Ledger } from './jobs/ledger.ts'
import { ResultBundles } from './jobs/result-bundles.ts'
import type { NodeMetrics } from './metrics.ts'
import { assembleNode, type NodeParts, privacyCharge, type Wire } from './node-parts.ts'
import type { NodeChain, NodeNetwork } from './ports.ts'
import { HEAD_KEY, type JobRecord, type NodeStore, type Settlement } from './storage/index.ts'
import type { CommitteeChain, DkgServiceTiming } from './threshold/index.ts'
import { VaultDirectory } from './vault-directory.ts'
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits, VaultUploads } from './vault-uploads.ts'

export interface TcfNodeInit {
  readonly home: string
  readonly validatorKey: Hex32
  /** the chain as clients reach it; the ValidatorRegistry is the EIP-712 verifying contract */
  readonly chainInfo: ChainInfo
  readonly store: NodeStore
  readonly chain: NodeChain
  readonly consensusParams: ConsensusParams
  readonly blockIntervalMs: number
  /** Blocks read the chain this many blocks below its latest, where it no longer reorganises. */
  readonly finalityDepth: number
  readonly escrowTerms: EscrowTerms
  /** what this node is willing to take on (propose, relay); blocks are judged by the network's DEFAULT_LIMITS */
  readonly limits: CompileLimits
  readonly evaluator: {
    readonly workers: number
    readonly deadlineMs: number
    readonly memoryCapBytes: number
  }
  readonly logger: Logger
  /** Told when a new epoch takes over, after the node switched to its set. */
  readonly onEpochStarted?: (epoch: number) => void
  /** who may store blobs here, how much, for how long (defaults: DEFAULT_UPLOAD_LIMITS) */
  readonly uploads?: UploadLimits
  /** how often blobs no live vault or open job needs are collected; 0 = never (default 10 min) */
  readonly gcIntervalMs?: number
  /** the Anchor's committee keys: with it, the node runs its epoch committee's DKG (node/threshold) */
  readonly committeeChain?: CommitteeChain
  /** DKG pacing, and a misbehaviour only the Byzantine e2e sets (a bad share dealt to one member) */
  readonly dkg?: {
    readonly timing?: Partial<DkgServiceTiming>
    readonly corruptShareTo?: number
    /** false: serve the committee key from the keyring, take no part in DKGs (config threshold.dkg) */
    readonly run?: boolean
  }
}

/** The state a node restores from its store and the chain before anything else runs. */
export interface RestoredState {
  readonly log: Logger
  readonly domain: Eip712Domain
  readonly wire: Wire
  readonly ledger: Ledger
  readonly epochs: Epochs
  /** the id of the last decided record, null before the first block */
  readonly head: Hex32 | null
  readonly vaults: VaultDirectory
  readonly uploads: VaultUploads
  /** requests accepted here and not in a decided block yet */
  readonly pending: Map<Hex32, SignedJobRequest>
  readonly bundles: ResultBundles
}

const STATUS_INTERVAL_MS = 2000
const GC_INTERVAL_MS = 10 * 60_000
/** How long a starting validator waits for a quorum of peers before starting consensus regardless. */
const QUORUM_WAIT_MS = 60_000

/**
 * A validator: the replicated job state machine (ledger) driven by the consensus core, the
 * sandbox executing admitted jobs, and the node's side of gossip, catch-up and the API. `open`
 * restores it whole from the store and the chain; `start` connects it to the network. Each
 * concern lives in its own unit (node-parts.ts wires them); this class holds the lifecycle.
 */
export class TcfNode {
  readonly address: Address
  readonly metrics: NodeMetrics
  /** what the API server serves */
  readonly service: ApiService
  /** the node's side of each gossip topic (node/gossip/) */
  readonly gossip: GossipHandlers
  readonly #init: TcfNodeInit
  readonly #state: RestoredState
  readonly #parts: NodeParts
  #gcTimer: NodeJS.Timeout | undefined
  #stopped = false

  private constructor(init: TcfNodeInit, state: RestoredState) {
    this.#init = init
    this.#state = state
    this.address = addressOfPrivateKey(init.validatorKey)
    this.#parts = assembleNode(init, state, this.address)
    this.metrics = this.#parts.metrics
    this.service = this.#parts.service
    this.gossip = this.#parts.gossip
  }

  /** Restores a node from the store (replaying its decided blocks) and the chain (its epoch). */
  static async open(init: TcfNodeInit): Promise<TcfNode> {
    await mkdir(join(init.home, 'evaluation'), { recursive: true })
    const { store, chain } = init
    const log = init.logger.child({ module: 'node' })
    const domain: Eip712Domain = {
      chainId: BigInt(init.chainInfo.chainId),
      verifyingContract: init.chainInfo.addresses.validatorRegistry.toLowerCase() as Address,
    }
    const wire: Wire = { network: undefined }
    const vaults = new VaultDirectory({ store, chain, network: () => wire.network })
    const ledger = new Ledger(ZERO_HASH, privacyCharge(vaults, init.limits))
    for (let height = 1; height <= store.latestHeight(); height++) {
      const stored = await store.getBlock(height)
      if (!stored)
        throw new JobStateError('STORE_GAP', `the store lacks block ${height} below its latest height`)
      // The manifests its admissions are charged against; fetched again if need be (content-addressed).
      await Promise.all(stored.block.admitted.map((r) => vaults.manifest(r.request.vaultId)))
      ledger.apply(stored.block, stored.blockHash)
    }
    const head = (await store.getMeta(HEAD_KEY, headSchema)) ?? null
    const uploads = new VaultUploads({ store, chain, limits: init.uploads ?? DEFAULT_UPLOAD_LIMITS })
    await uploads.open()
    const epochs = await Epochs.open(
      {
        chain,
        domain,
        validatorKey: init.validatorKey,
        logger: log,
        ...(init.onEpochStarted ? { onEpochStarted: init.onEpochStarted } : {}),
      },
      ledger,
    )
    // Owners of the vaults held here are known signers (own rate-limit bucket); look them up in the background.
    for (const { manifest } of await store.listVaults())
      void vaults.owner(manifest.vaultId as Hex32).catch(() => undefined)
    const pending = new Map<Hex32, SignedJobRequest>()
    for (const record of await store.listJobs({ stage: 'pending' }))
      pending.set(record.jobId as Hex32, record.request)
    const bundles = ResultBundles.of(await store.listJobs({}))
    const state = { log, domain, wire, ledger, epochs, head, vaults, uploads, pending, bundles }
    log.info(
      {
        height: ledger.height,
        epoch: epochs.current.number,
        validators: epochs.current.validators.validators.length,
      },
      'state restored',
    )
    return new TcfNode(init, state)
  }

  /** Starts consensus, status announcements, blob collection and the jobs left unfinished before a restart. */
  async start(network: NodeNetwork): Promise<void> {
    this.#state.wire.network = network
    this.#parts.attestationBatcher.start()
    this.#parts.evaluator.start()
    this.#parts.warmer.start()
    void this.#startConsensus(network)
    this.#parts.catchUp.start(STATUS_INTERVAL_MS)
    const gcEvery = this.#init.gcIntervalMs ?? GC_INTERVAL_MS
    if (gcEvery > 0) {
      this.#gcTimer = setInterval(() => {
        this.collectGarbage().catch((e: unknown) =>
          this.#state.log.warn({ err: e }, 'blob collection failed'),
        )
      }, gcEvery)
      this.#gcTimer.unref()
    }
    for (const job of this.#state.ledger.openJobs())
      if (!job.certified) void this.#parts.runner.run(job.jobId)
    await this.#parts.dkg?.start()
    this.#parts.releaser.start()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#state.epochs.stop()
    this.#parts.catchUp.stop()
    await this.#parts.dkg?.stop()
    this.#parts.releaser.stop()
    this.#parts.warmer.stop()
    clearInterval(this.#gcTimer)
    await this.#parts.driver.stop()
    await this.#parts.committer.idle()
    await this.#parts.book.idle()
    await this.#parts.evaluator.stop()
    // after the evaluator: what its last jobs attested still goes out before the network stops
    await this.#parts.attestationBatcher.stop()
  }

  /** The last decided height. */
  get height(): number {
    return this.#state.ledger.height
  }

  /** Records the anchoring transaction on every job whose outcome the block carries. */
  async onAnchored(height: number, txHash: Hex32): Promise<void> {
    const jobs = await this.#parts.book.anchored(height, txHash)
    this.#state.log.info({ height, txHash, jobs }, 'block anchored')
  }

  /** Records how a job's escrow was closed on chain; settlements only ever arrive once closed. */
  onSettled(jobId: Hex32, settlement: Settlement): Promise<void> {
    return this.#parts.book.settled(jobId, settlement)
  }

  /** Whether `id` is a result bundle held here: kept from anyone but validators and the vault's owner. */
  isResultBlob(id: Hex32): boolean {
    return this.#state.bundles.vaultOf(id) !== undefined
  }

  job(jobId: Hex32): Promise<JobRecord | undefined> {
    return this.#parts.book.get(jobId)
  }

  jobs(filter: { vault?: Hex32; stage?: JobRecord['stage'] }): Promise<JobRecord[]> {
    return this.#parts.book.list(filter)
  }

  /** Bytes `owner` stores here through the API (its quota use). */
  uploadedBy(owner: Address): number {
    return this.#state.uploads.usage(owner)
  }

  /**
   * Deletes the blobs of vaults deactivated on chain and of announcements
   * never registered, keeping whatever an open or pending job needs.
   */
  async collectGarbage(): Promise<{ readonly blobs: number; readonly bytes: number }> {
    const open = new Set<Hex32>()
    for (const job of this.#state.ledger.openJobs()) open.add(job.request.request.vaultId)
    for (const signed of this.#state.pending.values()) open.add(signed.request.vaultId)
    const collected = await this.#state.uploads.collect(open)
    if (collected.blobs > 0) this.#state.log.info(collected, 'blobs collected')
    return collected
  }

  /**
   * Consensus messages are published once; one sent before its recipients
   * subscribe is lost, and no validator can then gather a quorum of votes
   * for the round. Validators that start seconds apart (containers on a busy
   * host, operators anywhere) would all stall at height 1, so the first
   * height starts once enough validators to make a quorum with this one are
   * subscribed to proposals and votes (or after QUORUM_WAIT_MS, to progress
   * with whoever is there). Their messages meanwhile wait in the driver's
   * buffer for the height.
   */
  async #startConsensus(network: NodeNetwork): Promise<void> {
    const validators = this.#state.epochs.current.validators.validators.length
    const needed = Math.floor((2 * validators) / 3)
    const subscribed = () =>
      network.topicPeers('proposals').filter((p) => network.topicPeers('votes').includes(p)).length
    const deadline = Date.now() + QUORUM_WAIT_MS
    while (subscribed() < needed && Date.now() < deadline && !this.#stopped) await sleep(200)
    if (subscribed() < needed)
      this.#state.log.warn(
        { subscribed: subscribed(), needed },
        'starting consensus without a quorum of peers',
      )
    // One gossip heartbeat, for the last peer to finish setting up what it subscribed.
    await sleep(1000)
    // A catch-up meanwhile moved the ledger on: start from where it is, once its commits are done.
    // A commit applies the block before it follows the chain to the next height's epoch: a height
    // started in between would run, and sign, under the epoch before.
    await this.#parts.committer.idle()
    if (!this.#stopped) this.#parts.driver.start(this.#state.ledger.height + 1)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

const headSchema = z.string().regex(/^0x[0-9a-f]{64}$/) as unknown as z.ZodType<Hex32>
