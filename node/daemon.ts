import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { blockHeader } from '../protocol/index.ts'
import { ApiServer } from './api/index.ts'
import {
  type Anchorer,
  type ChainClient,
  type ChainState,
  createAnchorer,
  createChainClient,
  createChainState,
  createSettler,
  type Settler,
  unanchoredHeights,
  unsettledHeights,
} from './chain/index.ts'
import { loadConfig } from './config/index.ts'
import { HOME_FILES, loadHome } from './home.ts'
import { createLogger, type Logger } from './log.ts'
import { useNativeKeccak } from './native-keccak.ts'
import { useNativeSecp256k1 } from './native-secp256k1.ts'
import { TcfNode, type TcfNodeInit } from './node.ts'
import {
  BLOB_REFUSED,
  type BlobSource,
  createP2PNetwork,
  type P2PNetwork,
  type TopicSpec,
} from './p2p/index.ts'
import {
  type NodeChain,
  type NodeNetwork,
  TOPIC_CODECS,
  type TopicMessages,
  type TopicName,
} from './ports.ts'
import { createNodeStore, type NodeStore } from './storage/index.ts'

export interface DaemonOptions {
  readonly home: string
  readonly passphrase: string
  readonly env?: NodeJS.ProcessEnv
  /** defaults to JSON lines on stdout at the configured level */
  readonly logger?: Logger
  /**
   * Puts something between the node and the network it publishes through. The daemon never sets
   * it; the Byzantine e2e uses it to turn one real validator adversarial.
   */
  readonly wrapNetwork?: (network: NodeNetwork, node: TcfNode) => NodeNetwork
  /**
   * Puts something between the node and its chain reads. The daemon never sets it; the epoch-change
   * e2e uses it to make one validator slow to load a new validator set.
   */
  readonly wrapChain?: (chain: NodeChain) => NodeChain
  /** DKG pacing and misbehaviour; the daemon never sets it, the DKG e2e does (test/dkg.test.ts) */
  readonly dkg?: TcfNodeInit['dkg']
}

/** What a running daemon tells tools about itself (`<home>/node.json`). */
export interface DaemonInfo {
  readonly address: string
  readonly peerId: string
  readonly multiaddrs: readonly string[]
  readonly api: string
  readonly pid: number
}

export const INFO_FILE = 'node.json'

/**
 * A running validator: store, chain client and anchoring policy, p2p
 * network, the node itself and its API, started in dependency order and
 * stopped in reverse.
 */
export class Daemon {
  readonly node: TcfNode
  readonly info: DaemonInfo
  readonly #parts: DaemonParts
  readonly #log: Logger

  private constructor(node: TcfNode, info: DaemonInfo, parts: DaemonParts, log: Logger) {
    this.node = node
    this.info = info
    this.#parts = parts
    this.#log = log
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { home } = options
    const { config, validatorKey, peerKey } = await loadHome(home, options.passphrase, options.env)
    const log = options.logger ?? createLogger({ level: config.log.level })
    const curve = useNativeSecp256k1()
    if ('reason' in curve) log.warn(curve, 'signatures recovered in JS, ~25x slower')
    const keccak = useNativeKeccak()
    if ('reason' in keccak) log.warn(keccak, 'keccak256 in JS, ~4-16x slower')
    const store = createNodeStore({ dir: join(home, HOME_FILES.database), logger: log })
    await store.open()
    const chain = createChainClient({
      rpcUrl: config.chain.rpcUrl,
      addresses: config.chain.addresses as Parameters<typeof createChainClient>[0]['addresses'],
      privateKey: validatorKey,
      logger: log,
    })
    await chain.start()
    const chainState = createChainState({
      rpcUrl: config.chain.rpcUrl,
      addresses: config.chain.addresses as Parameters<typeof createChainState>[0]['addresses'],
    })
    let node: TcfNode | undefined
    let p2p: P2PNetwork<GossipSpecs> | undefined
    // The operator lists the new set's peers in config.json; a new epoch picks them up, no restart.
    const followPeers = async (epoch: number) => {
      try {
        const fresh = await loadConfig(home, options.env)
        p2p?.setDirectPeers(fresh.p2p.bootstrap)
      } catch (e) {
        log.warn({ err: e, epoch }, 'could not re-read p2p.bootstrap for the new epoch')
      }
    }
    const settler = createSettler({
      chain,
      takeoverDelayMs: config.anchor.takeoverDelayMs,
      isSettled: async (jobId) => (await store.getJob(jobId))?.settlement !== undefined,
      onSettled: (jobId, settlement) => void node?.onSettled(jobId, settlement),
      onFailed: (height, error) => log.error({ height, err: error }, 'settling failed'),
      logger: log,
    })
    /** Settles what an anchored block proves, once its job records carry the anchor. */
    const settleHeight = async (height: number, byUs: boolean) => {
      const stored = await store.getBlock(height)
      if (stored === undefined) return
      const { block, certificate } = stored
      settler.submit({ header: blockHeader(block), certificate, block, byUs })
    }
    const anchorer = createAnchorer({
      chain,
      takeoverDelayMs: config.anchor.takeoverDelayMs,
      onAnchored: (event) =>
        void node
          ?.onAnchored(event.height, event.txHash)
          .then(() => settleHeight(event.height, event.byUs))
          .catch((err: unknown) => log.error({ height: event.height, err }, 'recording the anchor failed')),
      onFailed: (height, error) => log.error({ height, err: error }, 'anchoring failed'),
      logger: log,
    })
    node = await TcfNode.open({
      home,
      validatorKey,
      chainInfo: {
        chainId: config.chain.chainId,
        rpcUrl: config.chain.rpcUrl,
        addresses: config.chain.addresses,
      },
      store,
      chain: (options.wrapChain ?? ((c: NodeChain) => c))(chainPort(chain, chainState, anchorer)),
      consensusParams: { timeouts: config.consensus.timeouts },
      blockIntervalMs: config.consensus.blockIntervalMs,
      finalityDepth: config.chain.finalityDepth,
      escrowTerms: config.admission,
      limits: { maxCostMs: config.sandbox.maxCostMs, maxMemoryBytes: config.sandbox.memoryCapMiB * 2 ** 20 },
      evaluator: {
        workers: config.sandbox.workers,
        deadlineMs: config.sandbox.deadlineMs,
        memoryCapBytes: config.sandbox.memoryCapMiB * 2 ** 20,
      },
      uploads: {
        quotaBytes: config.uploads.quotaMiB * 2 ** 20,
        pendingTtlMs: config.uploads.pendingTtlSeconds * 1000,
        maxPendingPerOwner: config.uploads.maxPendingPerOwner,
        pendingPoolBytes: config.uploads.pendingPoolMiB * 2 ** 20,
      },
      gcIntervalMs: config.uploads.gcIntervalSeconds * 1000,
      logger: log,
      onEpochStarted: (epoch) => void followPeers(epoch),
      committeeChain: {
        committeeKeyHash: (epoch: number) => chain.committeeKeyHash(epoch),
        registerCommitteeKey: (call: Parameters<ChainClient['registerCommitteeKey']>[0]) =>
          chain.registerCommitteeKey(call),
      },
      dkg: { ...options.dkg, run: config.threshold.dkg },
    })
    // Anchored before a restart but not settled: pick up where it stopped, behind any peer in line.
    const records = await store.listJobs({})
    for (const height of unsettledHeights(records)) void settleHeight(height, false)
    p2p = await createP2PNetwork({
      privateKey: peerKey,
      listen: config.p2p.listen,
      bootstrap: config.p2p.bootstrap,
      // The bootstrap peers are the other validators: keep them as direct gossip peers.
      directPeers: config.p2p.bootstrap,
      topics: gossipSpecs(node),
      blobSource: peerBlobSource(node, store, (peer) => p2p?.isDirectPeer(peer) === true),
      logger: log,
    })
    for (const name of Object.keys(TOPIC_CODECS) as TopicName[]) {
      p2p.gossip.topics[name].subscribe((message) => deliver(node, name, message))
    }
    await p2p.start()
    const network = networkPort(p2p)
    await node.start(options.wrapNetwork ? options.wrapNetwork(network, node) : network)
    // Committed before a restart but its anchor never recorded (killed inside the takeover delay):
    // catch-up will not replay a stored block, so the anchorer is handed it again. It finds the
    // anchor on chain, or sends it in its turn if no one did.
    for (const height of unanchoredHeights(records)) {
      const stored = await store.getBlock(height)
      if (stored) anchorer.submit({ header: blockHeader(stored.block), certificate: stored.certificate })
    }
    const api = new ApiServer({
      host: config.api.host,
      port: config.api.port,
      ...(config.api.webRoot === undefined ? {} : { webRoot: config.api.webRoot }),
      service: node.service,
      logger: log,
      metrics: node.metrics,
    })
    await api.start()
    const info: DaemonInfo = {
      address: node.address,
      peerId: p2p.peerId,
      multiaddrs: p2p.multiaddrs,
      api: api.url,
      pid: process.pid,
    }
    await writeFile(join(home, INFO_FILE), `${JSON.stringify(info, null, 2)}\n`)
    log.info({ ...info, height: node.height }, 'node started')
    return new Daemon(node, info, { api, p2p, anchorer, settler, chain, chainState, store }, log)
  }

  async stop(): Promise<void> {
    const { api, p2p, anchorer, settler, chain, chainState, store } = this.#parts
    this.#log.info('stopping')
    await api.stop()
    await this.node.stop()
    await p2p.stop()
    await anchorer.stop()
    await settler.stop()
    await chain.stop()
    chainState.stop()
    await store.close()
    this.#log.info('stopped')
  }
}

interface DaemonParts {
  readonly api: ApiServer
  readonly p2p: P2PNetwork<GossipSpecs>
  readonly anchorer: Anchorer
  readonly settler: Settler
  readonly chain: ChainClient
  readonly chainState: ChainState
  readonly store: NodeStore
}

type GossipSpecs = { readonly [K in TopicName]: TopicSpec<TopicMessages[K]> }

function gossipSpecs(node: TcfNode): GossipSpecs {
  const spec = <K extends TopicName>(name: K): TopicSpec<TopicMessages[K]> => ({
    codec: TOPIC_CODECS[name],
    validate: (message) => node.gossip[name].validate(message),
  })
  return {
    jobs: spec('jobs'),
    proposals: spec('proposals'),
    votes: spec('votes'),
    attestations: spec('attestations'),
    status: spec('status'),
    releases: spec('releases'),
    dkg: spec('dkg'),
    shares: spec('shares'),
    contributions: spec('contributions'),
    poolbans: spec('poolbans'),
  }
}

/**
 * What the blob protocol serves to a peer: vault blobs and decided records to anyone (validators and
 * buyers need them; ciphertexts are under the owner's key), a result bundle only to a validator's
 * peer, as the HTTP API serves it only to a validator or the vault owner. The libp2p peer id is
 * authenticated by the connection's handshake; the validators' ids are the direct peers, which follow
 * the validator set on each epoch change.
 */
export function peerBlobSource(
  node: Pick<TcfNode, 'isResultBlob'>,
  store: Pick<NodeStore, 'blobs'>,
  isValidatorPeer: (peer: string) => boolean,
): BlobSource {
  return {
    get: async (id, peer) =>
      node.isResultBlob(id) && !isValidatorPeer(peer) ? BLOB_REFUSED : store.blobs.get(id),
  }
}

function deliver<K extends TopicName>(node: TcfNode, name: K, message: TopicMessages[K]): void {
  node.gossip[name].deliver(message)
}

function networkPort(p2p: P2PNetwork<GossipSpecs>): NodeNetwork {
  return {
    peerId: p2p.peerId,
    peers: () => p2p.connectedPeers().map((peerId) => ({ peerId, score: p2p.gossip.peerScore(peerId) })),
    gossipCounters: () => p2p.gossip.counters(),
    topicPeers: (topic) => p2p.gossip.topicPeers(topic),
    blobBytes: () => {
      const stats = p2p.blobStats()
      return { served: stats.bytesServed, fetched: stats.bytesFetched }
    },
    publish: async (topic, message) => {
      // The topic record is keyed like TopicMessages; TypeScript cannot follow the key through the mapped type.
      await (
        p2p.gossip.topics[topic] as { publish(m: TopicMessages[typeof topic]): Promise<number> }
      ).publish(message)
    },
    fetchBlob: async (id) => p2p.blobs.fetchBlob(id),
  }
}

export function chainPort(chain: ChainClient, state: ChainState, anchorer: Anchorer): NodeChain {
  return {
    currentEpoch: () => chain.currentEpoch(),
    validatorSet: async (epoch) => (await chain.validatorSet(epoch)).members,
    vault: async (vaultId) => {
      const v = await chain.vault(vaultId)
      return v.registered ? v : undefined
    },
    job: async (jobId) => {
      const j = await chain.job(jobId)
      return j.opened ? { status: j.status, amount: j.escrow } : undefined
    },
    anchor: (decided) => anchorer.submit(decided),
    latestBlock: () => state.latestBlock(),
    vaultsChanged: (from, to) => chain.vaultsChanged(from, to),
    factsAt: (number, needs) => state.factsAt(number, needs),
    admissionFacts: (needs) => state.admissionFacts(needs),
    epochAt: (number) => state.epochAt(number),
    slashDuplicateVote: async (evidence) => (await chain.slashDuplicateVote(evidence)).status === 'slashed',
  }
}
