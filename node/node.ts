import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { z } from 'zod'
import {
  type ConsensusParams,
  type ConsensusSigner,
  type CommitCertificate as CoreCertificate,
  createConsensus,
  type SignatureVerifier,
  type SignedProposal,
  type SignedVote,
  ValidatorSet,
} from '../consensus/index.ts'
import {
  type Address,
  addressOfPrivateKey,
  type Block,
  blockHash,
  blockHeader,
  canonicalBytes,
  createEip712ConsensusSigner,
  createEip712Verifier,
  type DecidedRecord,
  DecodeError,
  type DuplicateVoteEvidence,
  decidedRecordCodec,
  type Eip712Domain,
  type Hex32,
  jobIdOf,
  type MessageCodec,
  needsAnchoring,
  type ProposalMessage,
  type Release,
  type ResultAttestation,
  type SealedResult,
  type SignedJobRequest,
  type StatusMessage,
  sealedResultCodec,
  signedJobRequestCodec,
  type VoteMessage,
  verifyJobRequest,
  verifyRelease,
  verifyResultAttestation,
  ZERO_HASH,
} from '../protocol/index.ts'
import {
  type CompileLimits,
  circuitIdOf,
  compile,
  DEFAULT_LIMITS,
  Evaluator,
  isSandboxError,
  MICROS,
  parseManifest,
  parseSpec,
  planPrivacy,
  privacyPreview,
  type VaultManifest,
} from '../sandbox/index.ts'
import {
  ApiError,
  type ChainInfo,
  type NodeService,
  type NodeStatus,
  type VaultSummary,
} from './api/index.ts'
import { toWireCertificate } from './consensus/certificate.ts'
import { recordsToApply, verifyDecidedRecord } from './consensus/decided-chain.ts'
import { ConsensusDriver } from './consensus/driver.ts'
import { AttestationPool } from './jobs/attestation-pool.ts'
import { type BlockFrame, buildBlock, validateBlock } from './jobs/block.ts'
import { jobPrivacy, vaultBudget } from './jobs/budget.ts'
import { type ChainFacts, type ChainNeeds, type EscrowTerms, noChainFacts } from './jobs/chain-facts.ts'
import { Executor } from './jobs/executor.ts'
import { JobBook } from './jobs/job-book.ts'
import { Ledger } from './jobs/ledger.ts'
import { checkAdmission, type RuleContext, type Verdict } from './jobs/rules.ts'
import { NodeMetrics } from './metrics.ts'
import type {
  GossipHandler,
  GossipVerdict,
  NodeChain,
  NodeNetwork,
  TopicMessages,
  TopicName,
} from './ports.ts'
import type { JobPreview, VaultBudget } from './sdk/types.ts'
import {
  blobIdOf,
  HEAD_KEY,
  type JobRecord,
  type NodeStore,
  type Settlement,
  type StoredBlock,
} from './storage/index.ts'
import { VaultDirectory } from './vault-directory.ts'
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits, VaultUploads } from './vault-uploads.ts'
import { manifestBlob, vaultBlobIds } from './vaults.ts'

export const NODE_VERSION = '0.1.0'

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
}

const STATUS_INTERVAL_MS = 2000
const GC_INTERVAL_MS = 10 * 60_000
/** How long a starting validator waits for a quorum of peers before starting consensus regardless. */
const QUORUM_WAIT_MS = 60_000
/** A job's evaluation is retried (say, while a peer is busy or restarting) this often before this node gives up on it. */
const EXECUTION_ATTEMPTS = 4
/** How far ahead of the next height a request's deadline must be for this node to take it. */
const MIN_DEADLINE_MARGIN = 2
/** How long a validator waits for the chain to make a proposed block's chain number final before voting nil. */
const CHAIN_FINALITY_WAIT_MS = 4000
const CHAIN_POLL_MS = 250

/**
 * A validator: the replicated job state machine (ledger) driven by the
 * consensus core, the sandbox executing admitted jobs, and the node's side
 * of gossip, catch-up and the API. I/O goes through ports (store, chain,
 * network) so this class holds the logic, not the wiring.
 */
export class TcfNode implements NodeService {
  readonly address: Address
  /** created at start, once the network it reads from is known */
  metrics: NodeMetrics | undefined
  readonly #init: TcfNodeInit
  readonly #log: Logger
  #network: NodeNetwork | undefined
  #ledger = new Ledger(ZERO_HASH, (request) => this.#privacyCharge(request))
  #epoch = 0
  #validators: ValidatorSet | undefined
  #domain: Eip712Domain
  #verifier: SignatureVerifier | undefined
  /** Consensus signatures are made under an epoch: one signer per epoch this node has signed in. */
  readonly #signers = new Map<number, ConsensusSigner>()
  /** Equivocations already submitted to the chain, by validator: one slash takes the whole stake. */
  readonly #reported = new Set<Address>()
  #stopped = false
  #driver: ConsensusDriver | undefined
  #head: Hex32 | null = null
  readonly #pending = new Map<Hex32, SignedJobRequest>()
  readonly #attestations = new AttestationPool()
  readonly #vaults: VaultDirectory
  readonly #uploads: VaultUploads
  #gcTimer: NodeJS.Timeout | undefined
  /** releases received and not yet in a decided block */
  readonly #releases = new Map<Hex32, SealedResult>()
  readonly #executing = new Set<Hex32>()
  /** result bundles this node holds, by blob id, with their vault: served only to validators and the owner */
  readonly #resultBlobs = new Map<Hex32, Hex32>()
  readonly #executionAttempts = new Map<Hex32, number>()
  readonly #evaluator: Evaluator
  readonly #executor: Executor
  readonly #book: JobBook
  #commits: Promise<unknown> = Promise.resolve()
  #catchingUp = false
  #statusTimer: NodeJS.Timeout | undefined

  constructor(init: TcfNodeInit) {
    this.#init = init
    this.#log = init.logger.child({ module: 'node' })
    this.address = addressOfPrivateKey(init.validatorKey)
    this.#domain = {
      chainId: BigInt(init.chainInfo.chainId),
      verifyingContract: init.chainInfo.addresses.validatorRegistry.toLowerCase() as Address,
    }
    this.#vaults = new VaultDirectory({ store: init.store, chain: init.chain, network: () => this.#network })
    this.#uploads = new VaultUploads({
      store: init.store,
      chain: init.chain,
      limits: init.uploads ?? DEFAULT_UPLOAD_LIMITS,
    })
    this.#evaluator = new Evaluator({
      ...(init.evaluator.workers > 0 ? { workers: init.evaluator.workers } : {}),
      deadlineMs: init.evaluator.deadlineMs,
      memoryCapBytes: init.evaluator.memoryCapBytes,
    })
    this.#book = new JobBook({
      store: init.store,
      observeStage: (interval, from, to) => this.metrics?.observeStage(interval, from, to),
    })
    this.#executor = new Executor({
      blobs: {
        get: (id) => init.store.blobs.get(id),
        put: async (bytes) => {
          const id = blobIdOf(bytes)
          await init.store.blobs.put(id, bytes)
          return id
        },
        ensure: (ids) => this.#vaults.ensure(ids),
      },
      evaluator: this.#evaluator,
      cacheDir: join(init.home, 'evaluation'),
      domain: this.#domain,
      validatorKey: init.validatorKey,
      // An admitted job is the network's decision: evaluate what the block rules admitted.
      limits: DEFAULT_LIMITS,
      logger: this.#log,
    })
  }

  /** Restores state from the store and the chain; call before the network starts delivering. */
  async open(): Promise<void> {
    await mkdir(join(this.#init.home, 'evaluation'), { recursive: true })
    const { store } = this.#init
    for (let height = 1; height <= store.latestHeight(); height++) {
      const stored = await store.getBlock(height)
      if (!stored) throw new Error(`the store lacks block ${height} below its latest height`)
      await this.#loadAdmittedVaults(stored.block)
      this.#ledger.apply(stored.block, stored.blockHash)
    }
    this.#head = (await store.getMeta(HEAD_KEY, headSchema)) ?? null
    await this.#uploads.open()
    // Before the first block there is no chain number to read at: every validator starts from the current epoch.
    const epoch =
      this.#ledger.height === 0
        ? await this.#init.chain.currentEpoch()
        : await this.#epochAfter(this.#ledger.epoch, this.#ledger.chainBlock)
    await this.#enterEpoch(epoch)
    // Owners of the vaults held here are known signers (own rate-limit bucket); look them up in the background.
    for (const { manifest } of await store.listVaults())
      void this.#vaults.owner(manifest.vaultId as Hex32).catch(() => undefined)
    for (const record of await store.listJobs({ stage: 'pending' })) {
      this.#pending.set(record.jobId as Hex32, record.request)
    }
    for (const record of await store.listJobs({})) {
      if (record.resultBlob) this.#resultBlobs.set(record.resultBlob as Hex32, record.request.request.vaultId)
    }
    this.#log.info(
      { height: this.#ledger.height, epoch: this.#epoch, validators: this.#validators?.validators.length },
      'state restored',
    )
  }

  /** Starts consensus, status announcements and the jobs left unfinished before a restart. */
  async start(network: NodeNetwork): Promise<void> {
    this.#network = network
    this.metrics = new NodeMetrics({
      peers: () => network.peers().length,
      gossip: () => network.gossipCounters(),
      blobBytes: () => network.blobBytes(),
      sandboxQueueDepth: () => this.#evaluator.queueDepth,
    })
    this.metrics.height.set(this.#ledger.height)
    this.#evaluator.start()
    // The epoch changes only between heights (at a commit), so a height is signed under one epoch throughout.
    const signer: ConsensusSigner = {
      address: this.address,
      signVote: (vote) => this.#signer().signVote(vote),
      signProposal: (proposal) => this.#signer().signProposal(proposal),
    }
    this.#driver = new ConsensusDriver({
      consensus: createConsensus({ signer, params: this.#init.consensusParams }),
      wal: this.#init.store.wal,
      app: {
        validators: () => this.#validators!,
        buildBlock: (height) => this.#buildBlock(height),
        blockHash,
        validateBlock: (height, block) => this.#validateBlock(height, block),
        decide: (_height, block, certificate) => this.#decided(block, certificate),
        broadcastProposal: (signed, block) => this.#broadcastProposal(signed, block),
        broadcastVote: (signed) => this.#broadcastVote(signed),
        onEvidence: (a, b) => void this.#reportEquivocation(a, b),
      },
      blockIntervalMs: this.#init.blockIntervalMs,
      logger: this.#log.child({ module: 'consensus' }),
    })
    void this.#startConsensus(network)
    this.#statusTimer = setInterval(() => void this.#announce(), STATUS_INTERVAL_MS)
    const gcEvery = this.#init.gcIntervalMs ?? GC_INTERVAL_MS
    if (gcEvery > 0) {
      this.#gcTimer = setInterval(() => {
        this.collectGarbage().catch((e: unknown) => this.#log.warn({ err: e }, 'blob collection failed'))
      }, gcEvery)
      this.#gcTimer.unref()
    }
    for (const job of this.#ledger.openJobs()) {
      if (!job.certified) void this.#execute(job.jobId)
    }
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
    const validators = this.#validators!.validators.length
    const needed = Math.floor((2 * validators) / 3)
    const subscribed = () =>
      network.topicPeers('proposals').filter((p) => network.topicPeers('votes').includes(p)).length
    const deadline = Date.now() + QUORUM_WAIT_MS
    while (subscribed() < needed && Date.now() < deadline && !this.#stopped) await sleep(200)
    if (subscribed() < needed)
      this.#log.warn({ subscribed: subscribed(), needed }, 'starting consensus without a quorum of peers')
    // One gossip heartbeat, for the last peer to finish setting up what it subscribed.
    await sleep(1000)
    // A catch-up meanwhile moved the ledger on: start from where it is.
    if (!this.#stopped) this.#driver?.start(this.#ledger.height + 1)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#statusTimer)
    clearInterval(this.#gcTimer)
    await this.#driver?.stop()
    await this.#commits
    await this.#book.idle()
    await this.#evaluator.stop()
  }

  get height(): number {
    return this.#ledger.height
  }

  // ---- gossip ----

  /** Decides the fate of a decoded gossip message: REJECT what its sender is answerable for, IGNORE the rest. */
  readonly gossip: { readonly [K in TopicName]: GossipHandler<TopicMessages[K]> } = {
    proposals: {
      validate: (m) => this.#validateProposal(m),
      deliver: (m) => this.#driver?.onProposal({ proposal: m.proposal, signature: m.signature }, m.block),
    },
    votes: {
      validate: (m) => this.#validateVote(m),
      deliver: (m) => this.#driver?.onVote({ vote: m.vote, signature: m.signature }),
    },
    attestations: {
      validate: (a) => this.#validateAttestation(a),
      deliver: (a) => void this.#attestations.add(a),
    },
    jobs: {
      validate: (signed) => this.#validateJobGossip(signed),
      deliver: (signed) => {
        const jobId = jobIdOf(signed.request)
        if (!this.#ledger.job(jobId)) this.#pending.set(jobId, signed)
      },
    },
    status: { validate: () => 'accept', deliver: (status) => void this.#catchUp(status) },
    releases: {
      validate: (sealed) => this.#validateReleaseGossip(sealed),
      deliver: (sealed) => void this.#keepRelease(sealed),
    },
  }

  async #validateReleaseGossip(sealed: SealedResult): Promise<GossipVerdict> {
    if (!verifyRelease(this.#domain, sealed.release)) return 'reject'
    const job = this.#ledger.job(sealed.release.jobId)
    if (!job?.certified || job.released || this.#releases.has(job.jobId)) return 'ignore'
    const owner = await this.#vaults.owner(job.request.request.vaultId).catch(() => undefined)
    return owner === sealed.release.owner.toLowerCase() ? 'accept' : 'ignore'
  }

  /** Stores a verified sealed result (every validator serves it) and queues its release for a block. */
  async #keepRelease(sealed: SealedResult): Promise<Hex32> {
    const bytes = sealedResultCodec.encode(sealed)
    const id = blobIdOf(bytes) as Hex32
    await this.#init.store.blobs.put(id, bytes)
    this.#releases.set(sealed.release.jobId, sealed)
    await this.#book.advance(sealed.release.jobId, 'certified', { sealedResult: id })
    return id
  }

  #sealedBlobFor(jobId: Hex32): Hex32 | undefined {
    const sealed = this.#releases.get(jobId)
    return sealed ? (blobIdOf(sealedResultCodec.encode(sealed)) as Hex32) : undefined
  }

  #validateProposal(m: ProposalMessage): GossipVerdict {
    if (m.epoch !== this.#epoch || m.proposal.height <= this.#ledger.height) return 'ignore'
    if (!this.#verifier!.verifyProposal({ proposal: m.proposal, signature: m.signature })) return 'reject'
    if (blockHash(m.block) !== m.proposal.valueId || m.block.height !== m.proposal.height) return 'reject'
    return this.#validators!.has(m.proposal.proposer) ? 'accept' : 'ignore'
  }

  #validateVote(m: VoteMessage): GossipVerdict {
    if (m.epoch !== this.#epoch || m.vote.height <= this.#ledger.height) return 'ignore'
    if (!this.#verifier!.verifyVote({ vote: m.vote, signature: m.signature })) return 'reject'
    return this.#validators!.has(m.vote.validator) ? 'accept' : 'ignore'
  }

  #validateAttestation(a: ResultAttestation): GossipVerdict {
    if (!verifyResultAttestation(this.#domain, a)) return 'reject'
    if (!this.#validators!.has(a.validator)) return 'ignore'
    const job = this.#ledger.job(a.jobId)
    return job && (job.certified || job.failedHeight !== undefined) ? 'ignore' : 'accept'
  }

  async #validateJobGossip(signed: SignedJobRequest): Promise<GossipVerdict> {
    if (!verifyJobRequest(this.#domain, signed)) return 'reject'
    const jobId = jobIdOf(signed.request)
    if (this.#ledger.job(jobId) || this.#pending.has(jobId)) return 'ignore'
    const verdict = await this.#admissible(signed)
    return verdict.ok ? 'accept' : 'ignore'
  }

  // ---- consensus app ----

  #ruleContext(height: number, chain: ChainFacts): RuleContext {
    return {
      height,
      validators: this.#validators!,
      ledger: this.#ledger,
      domain: this.#domain,
      manifest: (vaultId) => this.#vaults.cached(vaultId),
      chain,
      escrowTerms: this.#init.escrowTerms,
      // The network's limits, never this node's: honest nodes must judge a block alike.
      limits: DEFAULT_LIMITS,
    }
  }

  #frame(height: number): BlockFrame {
    return {
      height,
      epoch: this.#epoch,
      parentHash: this.#ledger.headHash,
      chainBlock: this.#ledger.chainBlock,
    }
  }

  /** What the rules read from the chain for these admissions and releases. */
  #needs(admitted: readonly SignedJobRequest[], released: readonly Release[]): ChainNeeds {
    const releasedVaults = released.flatMap((r) => {
      const job = this.#ledger.job(r.jobId)
      return job ? [job.request.request.vaultId] : []
    })
    return {
      jobs: admitted.map((r) => jobIdOf(r.request)),
      vaults: [...admitted.map((r) => r.request.vaultId), ...releasedVaults],
    }
  }

  /**
   * The proposer reads the chain `finalityDepth` blocks below its latest, never below the parent's
   * number. If it cannot read the chain it proposes at the parent's number with no facts, so its
   * block admits and releases nothing rather than being judged on facts no one else has.
   */
  async #buildBlock(height: number): Promise<Block> {
    const frame = this.#frame(height)
    const pending = [...this.#pending.values()]
    const releases = [...this.#releases.values()].map((r) => r.release)
    let facts: ChainFacts
    try {
      const latest = await this.#init.chain.latestBlock()
      const number = Math.max(frame.chainBlock, latest - this.#init.finalityDepth)
      facts = await this.#init.chain.factsAt(number, this.#needs(pending, releases))
    } catch (e) {
      this.#log.warn({ err: e, height }, 'chain unreadable: proposing without admissions or releases')
      facts = noChainFacts(frame.chainBlock)
    }
    return buildBlock(this.#ruleContext(height, facts), frame, this.address, {
      pending,
      attestations: this.#attestations,
      releases,
    })
  }

  async #validateBlock(height: number, block: Block): Promise<boolean> {
    // Manifests are content-addressed by vault id: fetching one can fail, never differ.
    await Promise.all(
      block.admitted.map((r) => this.#vaults.manifest(r.request.vaultId).catch(() => undefined)),
    )
    const frame = this.#frame(height)
    let facts: ChainFacts
    try {
      facts = await this.#factsFor(block, frame)
    } catch (e) {
      // Not a verdict on the block: another validator may read it fine. Not voting for it is safe either way.
      this.#log.warn(
        { height, chainBlock: block.chainBlock, err: e instanceof Error ? e.message : String(e) },
        'cannot read the chain at the block number: not voting for the block',
      )
      return false
    }
    const verdict = validateBlock(this.#ruleContext(height, facts), frame, block)
    if (!verdict.ok) this.#log.warn({ height, code: verdict.code, reason: verdict.message }, 'block refused')
    return verdict.ok
  }

  /**
   * The chain facts a block is judged by, read at its own chain number once that number is final
   * here. A block that moves the number forward is held to finality even when it reads nothing:
   * an unreachable number would otherwise become every later block's lower bound.
   */
  async #factsFor(block: Block, frame: BlockFrame): Promise<ChainFacts> {
    const number = block.chainBlock
    if (number < frame.chainBlock) return noChainFacts(number)
    if (number > frame.chainBlock) await this.#awaitFinal(number)
    const needs = this.#needs(block.admitted, block.released)
    if (needs.jobs.length === 0 && needs.vaults.length === 0) return noChainFacts(number)
    return this.#init.chain.factsAt(number, needs)
  }

  async #awaitFinal(number: number): Promise<void> {
    const deadline = Date.now() + CHAIN_FINALITY_WAIT_MS
    for (;;) {
      const latest = await this.#init.chain.latestBlock()
      if (latest - this.#init.finalityDepth >= number) return
      if (Date.now() > deadline) {
        throw new Error(
          `chain block ${number} is not ${this.#init.finalityDepth} deep here (latest ${latest})`,
        )
      }
      await sleep(CHAIN_POLL_MS)
    }
  }

  async #broadcastProposal(signed: SignedProposal, block: Block): Promise<void> {
    const message: ProposalMessage = { version: 1, epoch: this.#epoch, ...signed, block }
    await this.#publish('proposals', message)
  }

  async #broadcastVote(signed: SignedVote): Promise<void> {
    const message: VoteMessage = { version: 1, epoch: this.#epoch, ...signed }
    await this.#publish('votes', message)
  }

  #decided(block: Block, certificate: CoreCertificate): Promise<void> {
    return this.#commit(block, toWireCertificate(block.epoch, certificate))
  }

  /**
   * Applies a decided block: ledger, job records, the decided-record chain
   * and the WAL prune in one atomic store batch; then anchoring and the
   * execution of newly admitted jobs. Serialized: consensus and catch-up
   * both commit through here.
   */
  #commit(block: Block, certificate: DecidedRecord['certificate']): Promise<void> {
    return this.#serially(async () => {
      const { height } = block
      if (height <= this.#ledger.height) return
      const hash = blockHash(block)
      await this.#loadAdmittedVaults(block)
      const changes = this.#ledger.apply(block, hash)
      const record: DecidedRecord = { version: 1, block, certificate, prev: this.#head }
      const bytes = decidedRecordCodec.encode(record)
      const recordId = blobIdOf(bytes) as Hex32
      await this.#book.commit({ block, certificate, head: { id: recordId, bytes } }, changes, (jobId) =>
        this.#sealedBlobFor(jobId),
      )
      for (const { kind, job } of changes) {
        if (kind === 'released') this.#releases.delete(job.jobId)
        this.#pending.delete(job.jobId)
        if (kind !== 'admitted') this.#attestations.forget(job.jobId)
      }
      this.#head = recordId
      this.metrics?.height.set(height)
      this.metrics?.roundsPerHeight.observe(certificate.round + 1)
      this.#log.info(
        {
          height,
          admitted: block.admitted.length,
          certified: block.certified.length,
          failed: block.failed.length,
          round: certificate.round,
        },
        'block committed',
      )
      await this.#followEpoch(block)
      const header = blockHeader(block)
      if (needsAnchoring(header)) this.#init.chain.anchor({ header, certificate })
      for (const change of changes) if (change.kind === 'admitted') void this.#execute(change.job.jobId)
    })
  }

  /** Consensus and catch-up both commit: one at a time, in height order. */
  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#commits.then(work)
    this.#commits = run.catch(() => undefined)
    return run
  }

  /** Records the anchoring transaction on every job whose outcome the block carries. */
  async onAnchored(height: number, txHash: Hex32): Promise<void> {
    const jobs = await this.#book.anchored(height, txHash)
    this.#log.info({ height, txHash, jobs }, 'block anchored')
  }

  /** Records how a job's escrow was closed on chain; settlements only ever arrive once closed. */
  onSettled(jobId: Hex32, settlement: Settlement): Promise<void> {
    return this.#book.settled(jobId, settlement)
  }

  // ---- execution ----

  async #execute(jobId: Hex32): Promise<void> {
    if (this.#executing.has(jobId)) return
    const job = this.#ledger.job(jobId)
    if (!job) return
    this.#executing.add(jobId)
    const log = this.#log.child({ jobId })
    try {
      await this.#book.advance(jobId, 'executing')
      const manifest = await this.#vaults.manifest(job.request.request.vaultId)
      const execution = await this.#executor.execute(jobId, job.request, manifest)
      this.metrics?.evaluationSeconds.observe(execution.ms / 1000)
      const { attestation } = execution
      this.#resultBlobs.set(execution.bundleId, job.request.request.vaultId)
      this.#attestations.add(attestation)
      await this.#publish('attestations', attestation)
      await this.#book.advance(jobId, 'attested', {
        resultHash: attestation.resultHash,
        resultBlob: execution.bundleId,
      })
      this.#executionAttempts.delete(jobId)
    } catch (e) {
      const attempt = (this.#executionAttempts.get(jobId) ?? 0) + 1
      this.#executionAttempts.set(jobId, attempt)
      const open = !this.#ledger.job(jobId)?.certified && this.#ledger.job(jobId)?.failedHeight === undefined
      if (open && attempt < EXECUTION_ATTEMPTS) {
        log.warn({ err: e, attempt }, 'job execution failed; retrying')
        setTimeout(() => void this.#execute(jobId), 1000 * attempt).unref()
      } else {
        log.error({ err: e, attempt }, 'job execution failed')
      }
    } finally {
      this.#executing.delete(jobId)
    }
  }

  // ---- catch-up ----

  async #announce(): Promise<void> {
    const status: StatusMessage = {
      version: 1,
      height: this.#ledger.height,
      head: this.#head,
      at: Date.now(),
    }
    await this.#publish('status', status).catch(() => undefined)
  }

  /** A peer is ahead: walk its decided-record chain back to our height, verify, apply in order. */
  async #catchUp(status: StatusMessage): Promise<void> {
    if (this.#catchingUp || status.head === null || status.height <= this.#ledger.height) return
    this.#catchingUp = true
    try {
      const records = await recordsToApply(
        status.head,
        { height: this.#ledger.height, headHash: this.#ledger.headHash },
        (id) => this.#vaults.fetch(id),
        (record) => verifyDecidedRecord(record, this.#epoch, this.#validators!, this.#verifier!),
      )
      for (const record of records) await this.#commit(record.block, record.certificate)
      if (records.length > 0) {
        this.#log.info({ height: this.#ledger.height, blocks: records.length }, 'caught up from peers')
        this.#driver?.jumpTo(this.#ledger.height + 1)
      }
    } catch (e) {
      this.#log.warn({ err: e }, 'catch-up failed')
    } finally {
      this.#catchingUp = false
    }
  }

  // ---- admission ----

  /** The local checks a request must pass to be proposed: the block rules plus escrow and vault state on chain. */
  async #admissible(signed: SignedJobRequest): Promise<Verdict> {
    const { request } = signed
    const jobId = jobIdOf(request)
    let manifest: VaultManifest
    try {
      // Loaded for the rules, which read manifests from memory only.
      manifest = await this.#vaults.manifest(request.vaultId)
    } catch (e) {
      return { ok: false, code: 'VAULT_UNKNOWN', message: e instanceof Error ? e.message : String(e) }
    }
    const next = this.#ledger.height + 1
    if (request.deadline < next + MIN_DEADLINE_MARGIN) {
      return {
        ok: false,
        code: 'DEADLINE_TOO_CLOSE',
        message: `deadline ${request.deadline} leaves no time after height ${next}`,
      }
    }
    // The latest state, not a final one: an escrow opened a moment ago is admitted once blocks reach it.
    let facts: ChainFacts
    try {
      const latest = await this.#init.chain.latestBlock()
      facts = await this.#init.chain.factsAt(latest, { jobs: [jobId], vaults: [request.vaultId] })
    } catch (e) {
      return { ok: false, code: 'CHAIN_UNAVAILABLE', message: e instanceof Error ? e.message : String(e) }
    }
    const verdict = checkAdmission(this.#ruleContext(next, facts), signed)
    if (!verdict.ok) return verdict
    return this.#withinLocalCapacity(signed, manifest)
  }

  /**
   * Whether this node takes (proposes, relays) a job the network's rules admit: its
   * configured limits may be lower. Never a block rule, so a refusal here is not COST_EXCEEDED.
   */
  #withinLocalCapacity(signed: SignedJobRequest, manifest: VaultManifest): Verdict {
    try {
      compile(parseSpec(signed.request.algorithm.spec), manifest, this.#init.limits)
      return { ok: true }
    } catch (e) {
      if (isSandboxError(e) && e.code === 'COST_EXCEEDED')
        return {
          ok: false,
          code: 'OVER_LOCAL_CAPACITY',
          message: `this node takes no such job: ${e.message}`,
        }
      throw e
    }
  }

  /**
   * The manifests a block's admissions are charged against. Validators
   * fetched them to judge the block; a node replaying or catching up may
   * have to fetch them again (content-addressed, so never different).
   */
  async #loadAdmittedVaults(block: Block): Promise<void> {
    await Promise.all(block.admitted.map((r) => this.#vaults.manifest(r.request.vaultId)))
  }

  /** What an admitted job spends of its vault's budget: the same compile and plan admission ran. */
  #privacyCharge(request: SignedJobRequest): number {
    const manifest = this.#vaults.cached(request.request.vaultId)
    if (!manifest) throw new Error(`vault ${request.request.vaultId} of an admitted job is not loaded`)
    return jobPrivacy(request, manifest, this.#init.limits).epsilonMicros
  }

  // ---- NodeService (the API) ----

  async preview(vaultId: Hex32, spec: unknown): Promise<JobPreview> {
    const manifest = await this.#vaults.manifest(vaultId)
    try {
      const parsed = parseSpec(spec)
      const circuit = compile(parsed, manifest, this.#init.limits)
      const plan = planPrivacy(parsed, circuit, manifest)
      const spent = this.#ledger.spent(vaultId)
      const budget = vaultBudget(manifest, this.#ledger.height, spent.micros, spent.jobs)
      return {
        vaultId,
        circuitId: circuitIdOf(circuit),
        cost: circuit.cost,
        privacy: privacyPreview(plan),
        budget,
        admissible: plan.epsilonMicros <= Math.round(budget.remaining * MICROS),
      }
    } catch (e) {
      if (isSandboxError(e))
        throw new ApiError(422, e.code, e.message, e.field ? { field: e.field } : undefined)
      throw e
    }
  }

  /** A vault's privacy budget as the ledger holds it at the current height. */
  async budget(vaultId: Hex32): Promise<VaultBudget | undefined> {
    const manifest = await this.#vaults.manifest(vaultId).catch(() => undefined)
    if (!manifest) return undefined
    const spent = this.#ledger.spent(vaultId)
    return vaultBudget(manifest, this.#ledger.height, spent.micros, spent.jobs)
  }

  async status(): Promise<NodeStatus> {
    return {
      version: NODE_VERSION,
      address: this.address,
      peerId: this.#network?.peerId ?? '',
      peers: this.#network?.peers() ?? [],
      gossip: this.#network?.gossipCounters() ?? {},
      height: this.#ledger.height,
      round: this.#driver?.round ?? 0,
      epoch: this.#epoch,
      validators: this.#validators?.validators.map((v) => ({ address: v.address, power: v.power })) ?? [],
      chain: this.#init.chainInfo,
    }
  }

  hasStanding(signer: Address): boolean {
    const address = signer.toLowerCase() as Address
    return this.#validators?.has(address) === true || this.#vaults.isKnownOwner(address)
  }

  async putBlob(id: Hex32, bytes: Uint8Array, upload: { signer: Address; vaultId?: Hex32 }): Promise<void> {
    if (blobIdOf(bytes) !== id) throw new ApiError(422, 'BLOB_ID_MISMATCH', `the body does not hash to ${id}`)
    await this.#uploads.upload(id, bytes, upload.signer, upload.vaultId)
  }

  /** Bytes `owner` stores here through the API (its quota use). */
  uploadedBy(owner: Address): number {
    return this.#uploads.usage(owner)
  }

  announceVault(
    body: unknown,
    signer: Address,
  ): Promise<{ vaultId: Hex32; expiresAt: string; blobs: number }> {
    return this.#uploads.announce(body, signer)
  }

  /**
   * Deletes the blobs of vaults deactivated on chain and of announcements
   * never registered, keeping whatever an open or pending job needs.
   */
  async collectGarbage(): Promise<{ readonly blobs: number; readonly bytes: number }> {
    const open = new Set<Hex32>()
    for (const job of this.#ledger.openJobs()) open.add(job.request.request.vaultId)
    for (const signed of this.#pending.values()) open.add(signed.request.vaultId)
    const collected = await this.#uploads.collect(open)
    if (collected.blobs > 0) this.#log.info(collected, 'blobs collected')
    return collected
  }

  /**
   * Vault blobs (record ciphertexts, evaluation keys) are public: buyers and
   * validators need them. A result bundle is the certified output before the
   * owner's noisy release, so it goes only to a validator or the vault's
   * owner, by a signed request.
   */
  /** Whether `id` is a result bundle held here: kept from anyone but validators and the vault's owner. */
  isResultBlob(id: Hex32): boolean {
    return this.#resultBlobs.has(id)
  }

  async getBlob(id: Hex32, reader?: Address): Promise<Uint8Array | undefined> {
    const vaultId = this.#resultBlobs.get(id)
    if (vaultId !== undefined) {
      if (!reader) {
        throw new ApiError(
          401,
          'UNSIGNED',
          'a result bundle is served only to a signed request of a validator or the vault owner',
        )
      }
      const owner = await this.#vaults.owner(vaultId).catch(() => undefined)
      if (!this.#validators?.has(reader) && reader !== owner) {
        throw new ApiError(
          403,
          'BLOB_RESTRICTED',
          `${reader} is neither a validator nor the owner of vault ${vaultId}`,
        )
      }
    }
    return this.#init.store.blobs.get(id)
  }

  async publishVault(body: unknown, signer: Address): Promise<{ vaultId: Hex32; manifestHash: Hex32 }> {
    const manifest = parseManifest(body)
    const owner = await this.#vaults.owner(manifest.vaultId as Hex32)
    if (owner !== signer.toLowerCase()) {
      throw new ApiError(
        403,
        'NOT_VAULT_OWNER',
        `vault ${manifest.vaultId} is registered to ${owner}, not ${signer}`,
      )
    }
    const missing: Hex32[] = []
    for (const id of vaultBlobIds(manifest)) if (!(await this.#init.store.blobs.has(id))) missing.push(id)
    if (missing.length > 0) {
      throw new ApiError(422, 'BLOBS_MISSING', `upload the vault's blobs first: ${missing.length} missing`, {
        missing: missing.slice(0, 100),
      })
    }
    const blob = manifestBlob(manifest)
    await this.#init.store.blobs.put(blob.id, blob.bytes)
    await this.#init.store.putVault(manifest)
    this.#vaults.remember(manifest)
    this.#uploads.published(manifest.vaultId as Hex32)
    this.#log.info({ vaultId: manifest.vaultId, manifestHash: blob.id }, 'vault published')
    return { vaultId: manifest.vaultId as Hex32, manifestHash: blob.id }
  }

  async submitJob(body: unknown): Promise<{ jobId: Hex32 }> {
    const signed = decodeBody(signedJobRequestCodec, body, 'a signed job request')
    if (!verifyJobRequest(this.#domain, signed)) {
      throw new ApiError(401, 'BAD_SIGNATURE', 'the request is not signed by its buyer')
    }
    const jobId = jobIdOf(signed.request)
    const existing = await this.#book.get(jobId)
    if (existing && existing.stage !== 'failed') return { jobId }
    const verdict = await this.#admissible(signed)
    // A refusal is the answer, not a record: anyone can sign junk requests, and storing each
    // would let them fill the disk.
    if (!verdict.ok) throw new ApiError(422, verdict.code, verdict.message)
    await this.#book.accepted(signed, jobId)
    this.#pending.set(jobId, signed)
    await this.#publish('jobs', signed)
    this.#log.info({ jobId, vaultId: signed.request.vaultId }, 'job accepted')
    return { jobId }
  }

  job(jobId: Hex32): Promise<JobRecord | undefined> {
    return this.#book.get(jobId)
  }

  block(height: number): Promise<StoredBlock | undefined> {
    return this.#init.store.getBlock(height)
  }

  jobs(filter: { vault?: Hex32; stage?: JobRecord['stage'] }): Promise<JobRecord[]> {
    return this.#book.list(filter)
  }

  async vaults(): Promise<VaultSummary[]> {
    return (await this.#init.store.listVaults()).map(({ manifest, receivedAt }) => ({
      vaultId: manifest.vaultId as Hex32,
      recordCount: manifest.recordCount,
      profile: manifest.profile,
      policy: manifest.policy,
      columns: manifest.schema.columns.map((c) => c.name),
      receivedAt,
    }))
  }

  async vault(vaultId: Hex32): Promise<unknown | undefined> {
    return (await this.#init.store.getVault(vaultId))?.manifest
  }

  /** An owner's release: verified like its gossip, kept, gossiped, and proposed for the next block. */
  async submitRelease(body: unknown): Promise<{ jobId: Hex32 }> {
    const sealed = decodeBody(sealedResultCodec, body, 'a sealed result')
    const { release } = sealed
    if (!verifyRelease(this.#domain, release))
      throw new ApiError(401, 'BAD_SIGNATURE', 'the release is not signed by its owner')
    const job = this.#ledger.job(release.jobId)
    if (!job?.certified)
      throw new ApiError(422, 'NOT_CERTIFIED', `job ${release.jobId} has no certified result here`)
    if (job.released || job.failedHeight !== undefined)
      throw new ApiError(409, 'JOB_CLOSED', `job ${release.jobId} is closed`)
    if (job.certified.resultHash !== release.resultHash) {
      throw new ApiError(
        422,
        'RESULT_MISMATCH',
        `the release names result ${release.resultHash}, not the certified one`,
      )
    }
    const owner = await this.#vaults.owner(job.request.request.vaultId)
    if (owner !== release.owner.toLowerCase())
      throw new ApiError(403, 'NOT_VAULT_OWNER', `${release.owner} does not own the vault`)
    await this.#keepRelease(sealed)
    await this.#publish('releases', sealed)
    this.#log.info({ jobId: release.jobId, qualityScore: release.qualityScore }, 'release accepted')
    return { jobId: release.jobId }
  }

  async sealed(jobId: Hex32): Promise<SealedResult | undefined> {
    const id = (await this.#book.get(jobId))?.sealedResult
    const bytes = id ? await this.#init.store.blobs.get(id as Hex32) : undefined
    return bytes ? sealedResultCodec.decode(bytes) : undefined
  }

  // ---- epochs ----

  /** The consensus signer of the current epoch. */
  #signer(): ConsensusSigner {
    let signer = this.#signers.get(this.#epoch)
    if (!signer) {
      signer = createEip712ConsensusSigner({
        privateKey: this.#init.validatorKey,
        domain: this.#domain,
        epoch: this.#epoch,
      })
      this.#signers.set(this.#epoch, signer)
    }
    return signer
  }

  /**
   * The epoch of the heights after a block: the registry's current epoch at the block's chain number,
   * which every validator reads alike, and never an earlier one. Until it is known no later height can
   * start, so a failing read is retried rather than guessed.
   */
  async #epochAfter(epoch: number, chainBlock: number): Promise<number> {
    if (chainBlock === 0) return epoch
    for (let attempt = 1; ; attempt++) {
      try {
        return Math.max(epoch, await this.#init.chain.epochAt(chainBlock))
      } catch (e) {
        if (this.#stopped) throw e
        this.#log.warn({ err: e, chainBlock, attempt }, 'cannot read the epoch at the chain block; retrying')
        await sleep(Math.min(5000, 250 * attempt))
      }
    }
  }

  /** Called at each commit: a block whose chain number passed an EpochStarted hands the next height to the new set. */
  async #followEpoch(block: Block): Promise<void> {
    const epoch = await this.#epochAfter(block.epoch, block.chainBlock)
    if (epoch !== this.#epoch) await this.#enterEpoch(epoch)
  }

  async #enterEpoch(epoch: number): Promise<void> {
    const validators = await this.#loadValidators(epoch)
    if (validators.validators.length === 0) throw new Error(`epoch ${epoch} has no validators on chain`)
    const previous = this.#epoch
    this.#epoch = epoch
    this.#validators = validators
    this.#verifier = createEip712Verifier({ domain: this.#domain, epoch })
    if (previous !== 0) {
      this.#log.info(
        {
          epoch,
          previous,
          fromHeight: this.#ledger.height + 1,
          validators: validators.validators.map((v) => v.address),
        },
        'epoch started',
      )
      this.#init.onEpochStarted?.(epoch)
    }
  }

  // ---- slashing ----

  /**
   * Duplicate votes seen by consensus go to ValidatorRegistry.slashDuplicateVote. One proof takes the
   * whole stake, so each equivocator is reported once; losing the race to another reporter is fine.
   */
  async #reportEquivocation(first: SignedVote, second: SignedVote): Promise<void> {
    const { validator, height, round, type } = first.vote
    this.#log.warn({ validator, height, round, type }, 'duplicate vote evidence')
    if (this.#reported.has(validator)) return
    this.#reported.add(validator)
    const evidence: DuplicateVoteEvidence = { version: 1, epoch: this.#epoch, first, second }
    try {
      const slashed = await this.#init.chain.slashDuplicateVote(evidence)
      this.#log.warn({ validator, height }, slashed ? 'equivocator slashed' : 'equivocator already slashed')
    } catch (e) {
      // Let the next piece of evidence try again.
      this.#reported.delete(validator)
      this.#log.error({ err: e, validator }, 'submitting duplicate vote evidence failed')
    }
  }

  // ---- helpers ----

  async #publish<K extends TopicName>(topic: K, message: TopicMessages[K]): Promise<void> {
    await this.#network?.publish(topic, message)
  }

  /** Voting power from stake: stakes divided by their greatest common divisor, exact ratios in small integers. */
  async #loadValidators(epoch: number): Promise<ValidatorSet> {
    const members = await this.#init.chain.validatorSet(epoch)
    const gcd = members.reduce((g, m) => gcdOf(g, m.stake), 0n)
    return new ValidatorSet(
      members.map((m) => ({
        address: m.address.toLowerCase() as Address,
        power: Number(m.stake / (gcd || 1n)),
      })),
    )
  }
}

/** A JSON body checked like wire bytes: the codec's schema, size limit and content checks. */
function decodeBody<T>(codec: MessageCodec<T>, body: unknown, what: string): T {
  try {
    return codec.decode(canonicalBytes(body))
  } catch (e) {
    if (e instanceof DecodeError) throw new ApiError(400, e.code, e.message)
    throw new ApiError(400, 'MALFORMED', `the body is not ${what}`)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function gcdOf(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}

const headSchema = z.string().regex(/^0x[0-9a-f]{64}$/) as unknown as z.ZodType<Hex32>
