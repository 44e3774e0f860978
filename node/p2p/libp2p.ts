/**
 * The one file that knows which libp2p modules make up a tcf node and how they are tuned.
 * Moving from @chainsafe/libp2p-gossipsub to @libp2p/gossipsub (libp2p 3) is an edit here only:
 * everything else sees the `NetworkNode` shape below and the interfaces of @libp2p/interface.
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { GossipSub, gossipsub } from '@chainsafe/libp2p-gossipsub'
import {
  createTopicScoreParams,
  type PeerScoreParams,
  type PeerScoreThresholds,
  type TopicScoreParams,
} from '@chainsafe/libp2p-gossipsub/score'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromProtobuf, privateKeyFromRaw, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p, Message, PeerId, PrivateKey, PubSub } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { P2PError } from './errors.ts'
import { keyedNoiseCrypto } from './noise-crypto.ts'

/** Gossipsub as the rest of node/p2p uses it: the standard PubSub interface plus peer scores. */
export type PubSubService = PubSub & {
  getScore(peerId: string): number
  /** Peer ids treated as direct peers: always sent every message, never pruned or scored out. */
  readonly direct: Set<string>
}

export interface NetworkNode {
  readonly libp2p: Libp2p
  readonly pubsub: PubSubService
}

export interface NetworkNodeInit {
  /** protobuf-encoded libp2p private key (see `generatePeerKey`). */
  readonly privateKey: Uint8Array
  /** Multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`. */
  readonly listen: readonly string[]
  /** Peers that always receive every message and are never pruned: the validators. */
  readonly directPeers: readonly PeerAddress[]
  /** Full topic strings: the only ones this node scores, joins or accepts subscriptions for. */
  readonly topics: readonly string[]
}

/** A dialable address of a known peer, parsed from a multiaddr string ending in `/p2p/<peer id>`. */
export interface PeerAddress {
  readonly peerId: PeerId
  readonly addr: Multiaddr
}

/** A fresh Ed25519 libp2p key, protobuf-encoded as `createNetworkNode` expects it. */
export function generatePeerKey(): Uint8Array {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })
  if (jwk.d === undefined || jwk.x === undefined)
    throw new P2PError('KEYGEN_FAILED', 'node:crypto returned an Ed25519 JWK without d/x')
  // libp2p's raw Ed25519 private key is the 32-byte seed followed by the 32-byte public key.
  const raw = Buffer.concat([Buffer.from(jwk.d, 'base64url'), Buffer.from(jwk.x, 'base64url')])
  return privateKeyToProtobuf(privateKeyFromRaw(raw))
}

/** The peer id (base58 string) a protobuf-encoded libp2p private key stands for. */
export function peerIdOf(keyBytes: Uint8Array): string {
  return peerIdFromPrivateKey(decodePeerKey(keyBytes)).toString()
}

function decodePeerKey(keyBytes: Uint8Array): PrivateKey {
  try {
    return privateKeyFromProtobuf(keyBytes)
  } catch (error) {
    // The cause names only the decoding step; the key bytes never reach a message.
    throw new P2PError('INVALID_PEER_KEY', 'not a protobuf-encoded libp2p private key', { cause: error })
  }
}

export function parsePeerAddress(text: string): PeerAddress {
  let addr: Multiaddr
  try {
    addr = multiaddr(text)
  } catch (error) {
    throw new P2PError('INVALID_MULTIADDR', `${text}: ${String(error)}`, { cause: error })
  }
  const peerId = addr.getPeerId()
  if (peerId === null) throw new P2PError('INVALID_MULTIADDR', `${text}: no /p2p/<peer id> component`)
  return { peerId: peerIdFromString(peerId), addr }
}

// Scoring, tuned for consensus topics that carry a handful of messages per second at most.
//
// Gossipsub's defaults assume busy topics: a mesh peer that delivers fewer than
// `meshMessageDeliveriesThreshold` messages per window is penalised, and so is leaving the mesh
// with such a deficit. On a quiet topic every honest peer would be in deficit, so both weights are 0.
// Positive credit stays small (time in mesh, first deliveries) so that no peer can bank enough of
// it to absorb invalid messages. An invalid message (REJECT) counts squared with weight -10: one is
// -10 (below the gossip threshold), three take a peer to the graylist at -80 even with full
// credit, and the counter decays with a half-life of about 2.3 minutes.
const TOPIC_SCORE: Partial<TopicScoreParams> = {
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 300,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 5,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.995,
}

const SCORE_PARAMS: Omit<Partial<PeerScoreParams>, 'topics'> = {
  // The positive part of a peer's topic scores; the negative part is never capped.
  topicScoreCap: 10,
  // A spammer that reconnects keeps its score for an hour.
  retainScore: 3_600_000,
}

export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  // Below these a peer gets no gossip, none of our own messages, and finally none of its RPCs read.
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  // Reachable with the small positive credit above.
  opportunisticGraftThreshold: 5,
}

/**
 * Message ids are sha256(topic, 0, data): identical bytes on one topic are one message, whoever
 * sends them, which is what consensus wants (a vote relayed by two peers is delivered once).
 */
function contentMessageId(msg: Message): Uint8Array {
  return createHash('sha256')
    .update(msg.topic)
    .update(new Uint8Array([0]))
    .update(msg.data)
    .digest()
}

/** Builds (does not start) a libp2p node with the tcf stack: TCP, Noise, Yamux, identify, gossipsub. */
export async function createNetworkNode(init: NetworkNodeInit): Promise<NetworkNode> {
  const scoredTopics: Record<string, TopicScoreParams> = {}
  for (const topic of init.topics) scoredTopics[topic] = createTopicScoreParams(TOPIC_SCORE)
  const libp2p = await createLibp2p({
    start: false,
    privateKey: decodePeerKey(init.privateKey),
    addresses: { listen: [...init.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise({ crypto: keyedNoiseCrypto() })],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        // Consensus messages carry their own validator signatures; a libp2p author signature
        // would only cost a verification per hop. Without it ids must come from content.
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: contentMessageId,
        floodPublish: true,
        // A lone node (or the first validator up) publishes into the void rather than throwing.
        allowPublishToZeroTopicPeers: true,
        // Content ids make a re-publish of identical bytes a duplicate; that is a no-op, not an error.
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        doPX: false,
        directPeers: init.directPeers.map(({ peerId, addr }) => ({ id: peerId, addrs: [addr] })),
        allowedTopics: [...init.topics],
        scoreParams: { ...SCORE_PARAMS, topics: scoredTopics },
        scoreThresholds: SCORE_THRESHOLDS,
      }),
    },
  })
  const pubsub = libp2p.services.pubsub
  if (!(pubsub instanceof GossipSub))
    throw new P2PError('PUBSUB_MISMATCH', 'the gossipsub factory returned another PubSub')
  return { libp2p, pubsub }
}
