import type { PeerId } from '@libp2p/interface'
import { type Logger, pino } from 'pino'
import { BlobClient } from './blob-client.ts'
import {
  type BlobCounters,
  type BlobLimits,
  type BlobSource,
  DEFAULT_BLOB_LIMITS,
  PROTOCOL_MAX_BLOB_BYTES,
} from './blob-protocol.ts'
import { BlobServer } from './blob-server.ts'
import { P2PError } from './errors.ts'
import { Gossip, type TopicSpec, topicString } from './gossip.ts'
import {
  createNetworkNode,
  type NetworkNode,
  type PeerAddress,
  parsePeerAddress,
  peerIdOf,
} from './libp2p.ts'
import { DEFAULT_REDIAL, Redialer, type RedialOptions } from './redial.ts'

export interface P2PNetworkInit<S extends Record<string, TopicSpec<unknown>>> {
  /** protobuf-encoded libp2p private key (`generatePeerKey`); separate from the validator key. */
  readonly privateKey: Uint8Array
  /** Multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`. */
  readonly listen: readonly string[]
  /** `/p2p/`-terminated multiaddrs to stay connected to. */
  readonly bootstrap?: readonly string[]
  /** The validators: stay connected, and exchange every message with them outside the mesh. */
  readonly directPeers?: readonly string[]
  /** Gossip topics by name (`/tcf/1/<name>`); fixed for the node's lifetime because scoring is per topic. */
  readonly topics: S
  /** Where served blobs come from; without one this node serves none. */
  readonly blobSource?: BlobSource
  readonly blobLimits?: Partial<BlobLimits>
  readonly redial?: Partial<RedialOptions>
  readonly logger?: Logger
}

export type PeerListener = (peerId: string) => void

/** The p2p layer of a tcf node: gossip topics, blob exchange and connections to known peers. */
export class P2PNetwork<S extends Record<string, TopicSpec<unknown>>> {
  readonly peerId: string
  readonly gossip: Gossip<S>
  readonly blobs: BlobClient
  private readonly node: NetworkNode
  private readonly blobServer: BlobServer | undefined
  private readonly redialer: Redialer
  private readonly blobCounters: BlobCounters
  private readonly log: Logger
  private running = false

  /** Use `createP2PNetwork`. */
  constructor(parts: {
    peerId: string
    node: NetworkNode
    gossip: Gossip<S>
    blobs: BlobClient
    blobServer: BlobServer | undefined
    redialer: Redialer
    blobCounters: BlobCounters
    log: Logger
  }) {
    this.peerId = parts.peerId
    this.node = parts.node
    this.gossip = parts.gossip
    this.blobs = parts.blobs
    this.blobServer = parts.blobServer
    this.redialer = parts.redialer
    this.blobCounters = parts.blobCounters
    this.log = parts.log
  }

  async start(): Promise<void> {
    if (this.running) return
    await this.node.libp2p.start()
    this.gossip.start()
    await this.blobServer?.start()
    this.redialer.start()
    this.running = true
    this.log.info({ peerId: this.peerId, multiaddrs: this.multiaddrs }, 'p2p started')
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.redialer.stop()
    await this.blobServer?.stop()
    this.gossip.stop()
    await this.node.libp2p.stop()
    this.log.info('p2p stopped')
  }

  /** The addresses this node listens on, each ending in `/p2p/<peer id>`; empty until started. */
  get multiaddrs(): string[] {
    return this.node.libp2p.getMultiaddrs().map(String)
  }

  /**
   * Makes `multiaddrs` (each ending in `/p2p/<peer id>`) this node's direct peers and the peers it
   * keeps connected to, replacing the earlier list: how a validator follows a new validator set
   * without a restart.
   */
  setDirectPeers(multiaddrs: readonly string[]): void {
    const addresses = withoutSelf(multiaddrs.map(parsePeerAddress), this.peerId)
    const direct = this.node.pubsub.direct
    direct.clear()
    for (const a of addresses) direct.add(a.peerId.toString())
    this.redialer.setTargets(addresses)
    this.log.info({ peers: addresses.map((a) => a.peerId.toString()) }, 'direct peers set')
  }

  /** Whether `peerId` is one of the direct peers (the validators) as last set. */
  isDirectPeer(peerId: string): boolean {
    return this.node.pubsub.direct.has(peerId)
  }

  connectedPeers(): string[] {
    return this.node.libp2p.getPeers().map(String)
  }

  /** Blob exchange totals since creation. */
  blobStats(): Readonly<BlobCounters> {
    return { ...this.blobCounters }
  }

  /** Calls `listener` with each newly connected peer; returns an unsubscribe. */
  onPeerConnected(listener: PeerListener): () => void {
    return this.onPeerEvent('peer:connect', listener)
  }

  /** Calls `listener` when the last connection to a peer closes; returns an unsubscribe. */
  onPeerDisconnected(listener: PeerListener): () => void {
    return this.onPeerEvent('peer:disconnect', listener)
  }

  private onPeerEvent(type: 'peer:connect' | 'peer:disconnect', listener: PeerListener): () => void {
    const handler = (event: CustomEvent<PeerId>): void => listener(event.detail.toString())
    this.node.libp2p.addEventListener(type, handler)
    return () => this.node.libp2p.removeEventListener(type, handler)
  }
}

/** Builds a stopped `P2PNetwork`; call `start()` to listen, join the topics and dial known peers. */
export async function createP2PNetwork<S extends Record<string, TopicSpec<unknown>>>(
  init: P2PNetworkInit<S>,
): Promise<P2PNetwork<S>> {
  const peerId = peerIdOf(init.privateKey)
  const log = (init.logger ?? pino({ level: 'silent' })).child({ module: 'p2p' })
  const limits: BlobLimits = { ...DEFAULT_BLOB_LIMITS, ...init.blobLimits }
  if (!(limits.maxBlobBytes > 0 && limits.maxBlobBytes <= PROTOCOL_MAX_BLOB_BYTES)) {
    throw new P2PError('INVALID_LIMIT', `maxBlobBytes must be in 1..${PROTOCOL_MAX_BLOB_BYTES}`)
  }
  const directPeers = withoutSelf((init.directPeers ?? []).map(parsePeerAddress), peerId)
  const known = new Map<string, PeerAddress>()
  for (const address of [
    ...withoutSelf((init.bootstrap ?? []).map(parsePeerAddress), peerId),
    ...directPeers,
  ]) {
    known.set(address.peerId.toString(), address)
  }
  const node = await createNetworkNode({
    privateKey: init.privateKey,
    listen: init.listen,
    directPeers,
    topics: Object.keys(init.topics).map(topicString),
  })
  const blobCounters: BlobCounters = {
    blobsServed: 0,
    bytesServed: 0,
    blobsRefused: 0,
    blobsFetched: 0,
    bytesFetched: 0,
  }
  return new P2PNetwork({
    peerId,
    node,
    gossip: new Gossip(node.pubsub, init.topics, log),
    blobs: new BlobClient(node.libp2p, limits, blobCounters, log),
    blobServer:
      init.blobSource === undefined
        ? undefined
        : new BlobServer(node.libp2p, init.blobSource, limits, blobCounters, log),
    redialer: new Redialer(node.libp2p, [...known.values()], { ...DEFAULT_REDIAL, ...init.redial }, log),
    blobCounters,
    log,
  })
}

/** The daemon may list every validator, itself included; a node never dials itself. */
function withoutSelf(addresses: readonly PeerAddress[], self: string): PeerAddress[] {
  return addresses.filter((address) => address.peerId.toString() !== self)
}
