import { join } from 'node:path'
import { createConsensus, toWireCertificate } from '../consensus/index.ts'
import {
  type Address,
  type Block,
  blobIdOf,
  blockHash,
  type Hex32,
  type ProposalMessage,
  type ResultAttestation,
  type SignedJobRequest,
  type VoteMessage,
} from '../protocol/index.ts'
import {
  type AlgorithmSpec,
  type CompileLimits,
  DEFAULT_LIMITS,
  decodeBundle,
  Evaluator,
  heContext,
  isProfileName,
  parseSpec,
  type VaultManifest,
} from '../sandbox/index.ts'
import { ApiService } from './api-service.ts'
import { BlockBuilder } from './consensus/block-builder.ts'
import { CatchUp } from './consensus/catch-up.ts'
import { Committer } from './consensus/committer.ts'
import { ConsensusDriver } from './consensus/driver.ts'
import { EquivocationReports } from './consensus/equivocation.ts'
import { HeightPace } from './consensus/pace.ts'
import { AttestationBatcher } from './gossip/attestation-batcher.ts'
import { type GossipHandlers, gossipHandlers, NextEpochMessages, redeliver } from './gossip/index.ts'
import { admissible } from './jobs/admission.ts'
import { AttestationPool } from './jobs/attestation-pool.ts'
import { jobPrivacy } from './jobs/budget.ts'
import { JobStateError } from './jobs/errors.ts'
import { JobRunner } from './jobs/execution.ts'
import { Executor } from './jobs/executor.ts'
import { JobBook } from './jobs/job-book.ts'
import type { PrivacyCharge } from './jobs/ledger.ts'
import { ReleasePool } from './jobs/releases.ts'
import type { RuleSources } from './jobs/rule-context.ts'
import { jobTrace } from './jobs/trace.ts'
import { NodeMetrics } from './metrics.ts'
import type { RestoredState, TcfNodeInit } from './node.ts'
import { PoolAggregates } from './pools/aggregates.ts'
import { ContributionChecks } from './pools/contribution-checks.ts'
import { PoolError } from './pools/errors.ts'
import { ContributionIntake } from './pools/intake.ts'
import { PendingBans, PendingContributions } from './pools/pending.ts'
import { PoolApi } from './pools/pool-api.ts'
import { poolJob } from './pools/pool-job.ts'
import type { NodeNetwork, TopicMessages, TopicName } from './ports.ts'
import { ThresholdDirectory } from './threshold/directory.ts'
import { createKeyring, DkgService } from './threshold/index.ts'
import { ThresholdReleasePool } from './threshold/release-pool.ts'
import { ThresholdReleaser } from './threshold/releaser.ts'
import type { VaultDirectory } from './vault-directory.ts'
import { VaultWarmer } from './vault-warmer.ts'

/** The p2p network, there once the node is started; a node that only serves the API never has one. */
export interface Wire {
  network: NodeNetwork | undefined
}

/** The running units of a node, wired to each other and to its restored state. */
export interface NodeParts {
  readonly metrics: NodeMetrics
  readonly evaluator: Evaluator
  /** readies vaults when they are published, before any job on them */
  readonly warmer: VaultWarmer
  readonly book: JobBook
  readonly runner: JobRunner
  /** this node's own attestations, gossiped a batch at a time */
  readonly attestationBatcher: AttestationBatcher
  readonly committer: Committer
  readonly driver: ConsensusDriver
  readonly catchUp: CatchUp
  readonly gossip: GossipHandlers
  readonly service: ApiService
  /** the epoch committee's DKG; absent when the node was given no way to register keys on chain */
  readonly dkg: DkgService | undefined
  readonly releaser: ThresholdReleaser
  /** pools: contributions arriving here, and the aggregates at each snapshot */
  readonly pools: { readonly intake: ContributionIntake; readonly aggregates: PoolAggregates }
}

/** What an admitted job spends of its vault's budget: the same compile and plan admission ran. */
export function privacyCharge(vaults: Pick<VaultDirectory, 'cached'>, limits: CompileLimits): PrivacyCharge {
  return (request: SignedJobRequest, pools) => {
    const manifest = vaults.cached(request.request.vaultId)
    if (!manifest)
      throw new JobStateError(
        'VAULT_NOT_LOADED',
        `vault ${request.request.vaultId} of an admitted job is not loaded`,
      )
    return jobPrivacy(request, manifest, limits, pools).epsilonMicros
  }
}

/**
 * Builds a node's units around its restored state. The composition of the daemon's core: each
 * unit gets only the narrow dependencies it names, so each can be read (and tested) alone.
 */
export function assembleNode(init: TcfNodeInit, state: RestoredState, address: Address): NodeParts {
  const { store, chain } = init
  const { log, domain, wire, ledger, epochs, vaults, uploads, pending, bundles } = state
  const publish = async <K extends TopicName>(topic: K, message: TopicMessages[K]): Promise<void> => {
    await wire.network?.publish(topic, message)
  }
  const evaluator = new Evaluator({
    ...(init.evaluator.workers > 0 ? { workers: init.evaluator.workers } : {}),
    deadlineMs: init.evaluator.deadlineMs,
    memoryCapBytes: init.evaluator.memoryCapBytes,
    // Vaults are immutable and evaluation deterministic: a statistic accumulated for one job is
    // reused by later jobs on the same chunks, byte-identical (sandbox/evaluator/stat-cache.ts).
    statCache: { dir: join(init.home, 'evaluation', 'stats') },
  })
  const metrics = new NodeMetrics({
    peers: () => wire.network?.peers().length ?? 0,
    gossip: () => wire.network?.gossipCounters() ?? {},
    blobBytes: () => wire.network?.blobBytes() ?? { served: 0, fetched: 0 },
    sandboxQueueDepth: () => evaluator.queueDepth,
  })
  metrics.height.set(ledger.height)
  const book = new JobBook({
    store,
    observeStage: (interval, from, to) => metrics.observeStage(interval, from, to),
  })
  const trace = jobTrace(log)
  const attestations = new AttestationPool()
  const releases = new ReleasePool({ store, book })
  // Threshold mode: committee keys from the keyring (the DKG fills it), members' releases, this node's own.
  const keyring = createKeyring(store)
  const directory = new ThresholdDirectory(keyring)
  const thresholdPool = new ThresholdReleasePool(store)
  // Pools: contributions checked on arrival (bytes by SEAL), queued for blocks, summed per snapshot.
  const poolContext = (manifest: VaultManifest) => {
    if (!isProfileName(manifest.profile)) throw new RangeError(`unknown profile ${manifest.profile}`)
    return heContext(manifest.profile)
  }
  const poolChecks = new ContributionChecks(poolContext)
  const pendingContributions = new PendingContributions()
  const pendingBans = new PendingBans()
  const intake = new ContributionIntake({
    domain,
    ledger,
    manifest: (id) => vaults.manifest(id),
    cached: (id) => vaults.cached(id),
    checks: poolChecks,
    pending: pendingContributions,
    putBlob: (id, bytes) => store.blobs.put(id, bytes),
  })
  const aggregates = new PoolAggregates({
    store,
    blob: (id) => vaults.fetch(id),
    log: ledger.pools,
    manifest: (id) => vaults.manifest(id),
    context: poolContext,
    logger: log.child({ module: 'pools' }),
  })
  const preparePools = async (block: Block) => {
    for (const claim of block.contributions ?? []) {
      const { poolId, blobId } = claim.contribution
      if (poolChecks.verdict(poolId, blobId)) continue
      const manifest = await vaults.manifest(poolId).catch(() => undefined)
      if (!manifest?.pool) continue
      await poolChecks.check(manifest, blobId, await vaults.fetch(blobId))
    }
    await Promise.all((block.poolBans ?? []).map((b) => vaults.manifest(b.poolId).catch(() => undefined)))
  }
  const rules: RuleSources = {
    validators: () => epochs.current.validators,
    ledger,
    domain,
    manifest: (vaultId) => vaults.cached(vaultId),
    escrowTerms: init.escrowTerms,
    committee: (keyHash) => directory.committee(keyHash),
    primes: (profile) => directory.primes(profile),
    contributionBytes: (poolId, blobId) => poolChecks.verdict(poolId, blobId),
  }
  // A job on a pool snapshot, from the replicated log at this node's head (admission checked the height).
  const poolJobOf = (manifest: VaultManifest, spec: AlgorithmSpec) =>
    poolJob(manifest, spec, { log: ledger.pools, head: ledger.height }, DEFAULT_LIMITS)
  const admit = (signed: SignedJobRequest) =>
    admissible({ rules, chain, manifest: (id) => vaults.manifest(id), limits: init.limits }, signed)
  const executor = new Executor({
    blobs: {
      get: (id) => store.blobs.get(id),
      put: async (bytes) => {
        const id = blobIdOf(bytes)
        // A repeated job's bundle is the bytes an earlier one stored (MiBs of lone stats): not again.
        if (!(await store.blobs.has(id))) await store.blobs.put(id, bytes)
        return id
      },
      putEvaluated: async ({ id, bytes }) => {
        if (!(await store.blobs.has(id))) await store.blobs.putOwn(id, bytes)
        return id
      },
      has: (id) => store.blobs.has(id),
      ensure: (ids) => vaults.ensure(ids),
    },
    evaluator,
    cacheDir: join(init.home, 'evaluation'),
    domain,
    validatorKey: init.validatorKey,
    // An admitted job is the network's decision: evaluate what the block rules admitted.
    limits: DEFAULT_LIMITS,
    logger: log,
    trace,
    pools: {
      job: (manifest, spec) =>
        poolJob(manifest, spec, { log: ledger.pools, head: ledger.height }, DEFAULT_LIMITS),
      aggregate: async (poolId, height) => {
        const record = await aggregates.snapshot(poolId, height)
        if (record?.height !== height)
          throw new PoolError('SNAPSHOT_UNKNOWN', `pool ${poolId} has no snapshot at height ${height}`)
        return aggregates.aggregateBytes(record)
      },
    },
  })
  const warmer = new VaultWarmer({
    chain,
    manifest: (id) => vaults.manifest(id),
    warm: (manifest, idle) => executor.warm(manifest, idle),
    jobsWaiting: () => evaluator.queueDepth > 0,
    stored: async () => (await store.listVaults()).map((v) => v.manifest.vaultId as Hex32),
    logger: log,
  })
  // A waiting request's work starts now (see Executor.start), so its admission finds it done or under way.
  // The next height starts at once when a request or a certificate waits for it.
  const pace = new HeightPace(() =>
    ledger
      .openJobs()
      .some((j) => !j.certified && attestations.certificateFor(j.jobId, epochs.current.validators)),
  )
  const onPending = (jobId: Hex32, signed: SignedJobRequest) => {
    trace(jobId, 'received')
    pace.arrived()
    driver.wake()
    vaults
      .manifest(signed.request.vaultId)
      .then((manifest) => executor.start(jobId, signed, manifest))
      .catch((e: unknown) => log.debug({ err: e, jobId }, 'preparing a pending job failed'))
  }
  // The first moment this node holds a quorum of matching attestations: a certificate could be proposed.
  const quorumSeen = new Set<Hex32>()
  const addAttestation = (attestation: ResultAttestation) => {
    const added = attestations.add(attestation)
    const { jobId } = attestation
    if (!quorumSeen.has(jobId) && attestations.certificateFor(jobId, epochs.current.validators)) {
      quorumSeen.add(jobId)
      if (quorumSeen.size > 10_000) quorumSeen.delete(quorumSeen.values().next().value as Hex32)
      trace(jobId, 'quorum')
      driver.wake()
    }
    return added
  }
  const attestationBatcher = new AttestationBatcher({
    validator: address,
    pool: { add: addAttestation },
    publish: (batch) => publish('attestations', batch),
  })
  const runner = new JobRunner({
    ledger,
    book,
    manifest: (vaultId) => vaults.manifest(vaultId),
    executor,
    bundles,
    attest: (attestation) => attestationBatcher.attest(attestation),
    observeSeconds: (seconds) => metrics.evaluationSeconds.observe(seconds),
    logger: log,
    trace,
  })
  const committer = new Committer({
    ledger,
    book,
    head: state.head,
    loadAdmittedVaults: async (block) => {
      await Promise.all(block.admitted.map((r) => vaults.manifest(r.request.vaultId)))
    },
    releases,
    pending,
    attestations,
    epochs,
    chain,
    metrics,
    execute: (jobId) => void runner.run(jobId),
    onApplied: (changes) => {
      for (const c of changes) if (c.kind === 'released') thresholdPool.released(c.job.jobId)
      // certified: phase 1 of a threshold release; released: phase 2, the output shares of set S
      if (changes.some((c) => c.kind === 'certified' || c.kind === 'released')) void releaser.nudge()
    },
    onCommitted: (block) => {
      for (const scored of block.scored ?? []) void thresholdPool.keepDecided(scored.shares)
      pendingContributions.forget(block, (claim) => intake.stale(claim, block.height + 1))
      pendingBans.forget((ban) => ledger.pools.banned(ban.poolId, ban.contributor))
      const touched = new Set((block.contributions ?? []).map((c) => c.contribution.poolId))
      if (touched.size > 0) void aggregates.follow([...touched], block.height)
    },
    logger: log,
    trace,
  })
  const builder = new BlockBuilder({
    rules,
    chain,
    finalityDepth: init.finalityDepth,
    epoch: () => epochs.current.number,
    proposer: address,
    pending: () => [...pending.values()],
    releases: () => releases.releases(),
    attestations,
    loadManifest: (vaultId) => vaults.manifest(vaultId),
    scored: () =>
      thresholdPool.candidates((jobId) => {
        const job = ledger.job(jobId)
        const holder = job && vaults.cached(job.request.request.vaultId)?.keyHolder
        return holder && directory.committee(holder.keyHash)?.threshold
      }),
    contributions: () => pendingContributions.list(),
    poolBans: () => pendingBans.list(),
    preparePools,
    prepareThreshold: () =>
      directory.prepare(ledger.openJobs().map((j) => vaults.cached(j.request.request.vaultId))),
    logger: log,
    trace,
  })
  const releaser = new ThresholdReleaser({
    domain,
    validatorKey: init.validatorKey,
    address,
    keyring,
    store,
    ledger,
    record: (jobId) => book.get(jobId),
    manifest: (vaultId) => vaults.manifest(vaultId),
    pool: thresholdPool,
    publish: (release) => publish('shares', release),
    logger: log.child({ module: 'threshold' }),
    poolJob: poolJobOf,
  })
  const reports = new EquivocationReports({ chain, epoch: () => epochs.current.number, logger: log })
  const driver = new ConsensusDriver({
    consensus: createConsensus({ signer: epochs.consensusSigner(address), params: init.consensusParams }),
    wal: store.wal,
    app: {
      validators: () => epochs.current.validators,
      buildBlock: (height) => builder.build(height),
      blockHash,
      validateBlock: (height, block) => builder.validate(height, block),
      decide: (_height, block, certificate) =>
        committer.commit(block, toWireCertificate(block.epoch, certificate)),
      broadcastProposal: (signed, block, resentAt) => {
        const message: ProposalMessage = {
          version: 1,
          epoch: epochs.current.number,
          ...signed,
          block,
          ...(resentAt === undefined ? {} : { resentAt }),
        }
        return publish('proposals', message)
      },
      broadcastVote: (signed, resentAt) => {
        const message: VoteMessage = {
          version: 1,
          epoch: epochs.current.number,
          ...signed,
          ...(resentAt === undefined ? {} : { resentAt }),
        }
        return publish('votes', message)
      },
      onEvidence: (a, b) => void reports.report(a, b),
      startNextHeightNow: () => pace.startNow(),
      wakeNow: () => pace.wakeNow(),
    },
    blockIntervalMs: init.blockIntervalMs,
    logger: log.child({ module: 'consensus' }),
  })
  const catchUp = new CatchUp({
    ledger,
    head: () => committer.head,
    epoch: () => epochs.current,
    laterEpoch: (number) => epochs.load(number),
    fetch: (id) => vaults.fetch(id),
    commit: (record) => committer.commit(record.block, record.certificate),
    jumpTo: (height) => driver.jumpTo(height),
    publish: (status) => publish('status', status),
    logger: log,
  })
  const dkg =
    init.committeeChain === undefined
      ? undefined
      : new DkgService({
          home: init.home,
          validatorKey: init.validatorKey,
          self: address,
          domain,
          anchorDomain: {
            chainId: domain.chainId,
            verifyingContract: init.chainInfo.addresses.anchor.toLowerCase() as Address,
          },
          chain,
          committeeChain: init.committeeChain,
          store,
          network: () => {
            const network = wire.network
            return (
              network && {
                publish: (m) => network.publish('dkg', m),
                fetchBlob: (id) => network.fetchBlob(id),
              }
            )
          },
          keyring: createKeyring(store),
          // a reshared key has new holders: the block rules and the share topic read them afresh
          onHandOver: (keyHash) => directory.forget(keyHash),
          ...(init.dkg ?? {}),
          logger: log,
        })
  const nextEpoch = new NextEpochMessages(domain)
  const gossip = gossipHandlers({
    jobs: {
      domain,
      admitted: (jobId) => ledger.job(jobId) !== undefined,
      pending,
      admissible: admit,
      onPending,
    },
    proposals: { epoch: () => epochs.current, height: () => ledger.height, nextEpoch, consensus: driver },
    votes: { epoch: () => epochs.current, height: () => ledger.height, nextEpoch, consensus: driver },
    attestations: {
      domain,
      validators: () => epochs.current.validators,
      job: (jobId) => ledger.job(jobId),
      pool: { add: addAttestation },
    },
    status: { catchUp: (status) => void catchUp.onStatus(status) },
    releases: {
      domain,
      job: (jobId) => ledger.job(jobId),
      releases,
      owner: (vaultId) => vaults.owner(vaultId),
    },
    dkg: {
      domain,
      anchorDomain: {
        chainId: domain.chainId,
        verifyingContract: init.chainInfo.addresses.anchor.toLowerCase() as Address,
      },
      epoch: () => dkg?.epoch,
      committee: async (epoch) => dkg?.committee(epoch),
      reshare: (epoch) => dkg?.reshareSets(epoch),
      round: (epoch) => dkg?.currentRound(epoch),
      holds: (body) => dkg?.holds(body) ?? false,
      deliver: (body) => dkg?.deliver(body),
    },
    shares: {
      domain,
      job: (jobId) => ledger.job(jobId),
      manifest: (vaultId) => vaults.manifest(vaultId),
      committee: (keyHash) => directory.loadCommittee(keyHash),
      pool: thresholdPool,
    },
    contributions: { intake },
    poolbans: { intake, pending: pendingBans },
  })
  // What peers sent under the new epoch before this node committed the old one's last block.
  epochs.onStarted((number) => {
    const held = nextEpoch.take(number)
    if (held.length === 0) return
    redeliver(held, gossip).then(
      (delivered) =>
        log.info({ epoch: number, held: held.length, delivered }, 'early messages of the epoch delivered'),
      (e: unknown) => log.warn({ err: e, epoch: number }, 'delivering early messages of the epoch failed'),
    )
  })
  const service = new ApiService({
    address,
    chainInfo: init.chainInfo,
    domain,
    store,
    ledger,
    epochs,
    book,
    pending,
    releases,
    thresholdReleases: thresholdPool,
    keyring,
    bundles,
    vaults,
    uploads,
    admissible: admit,
    onPending,
    onPublished: (vaultId) => warmer.offer(vaultId),
    limits: init.limits,
    round: () => driver.round,
    network: () => wire.network,
    committee: (epoch) => dkg?.info(epoch) ?? Promise.resolve(undefined),
    pools: new PoolApi({
      ledger,
      manifest: (id) => vaults.manifest(id).catch(() => undefined),
      intake,
      pending: pendingContributions,
      bans: pendingBans,
      aggregates,
      publish: (upload) => publish('contributions', upload),
      publishBan: (ban) => publish('poolbans', ban),
    }),
    payoutsOf: async (jobId) => {
      const job = ledger.job(jobId)
      const record = await book.get(jobId)
      if (!job || !record?.resultBlob) return undefined
      const height = parseSpec(job.request.request.algorithm.spec).snapshot
      if (height === undefined) return undefined
      const snapshot = ledger.pools.snapshot(job.request.request.vaultId, height)
      const bytes = await store.blobs.get(record.resultBlob as Hex32)
      if (snapshot?.height !== height || !bytes) return undefined
      return { bundleHash: decodeBundle(bytes).resultHash, counts: snapshot.counts }
    },
    logger: log,
  })
  return {
    metrics,
    evaluator,
    warmer,
    book,
    runner,
    attestationBatcher,
    committer,
    driver,
    catchUp,
    gossip,
    service,
    dkg,
    releaser,
    pools: { intake, aggregates },
  }
}
