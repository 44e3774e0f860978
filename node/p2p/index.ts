export type { BlobClient, FetchBlobOptions, FetchBlobsOptions } from './blob-client.ts'
export {
  BLOB_PROTOCOL,
  BLOB_REFUSED,
  type BlobCounters,
  type BlobLimits,
  type BlobSource,
  CHUNK_BYTES,
  DEFAULT_BLOB_LIMITS,
} from './blob-protocol.ts'
export {
  type BlobAttempt,
  BlobFetchError,
  type BlobFetchErrorCode,
  BlobNotFoundError,
  P2PError,
  type P2PErrorCode,
} from './errors.ts'
export type {
  Gossip,
  MessageHandler,
  Topic,
  TopicCodec,
  TopicCounters,
  TopicSpec,
  Topics,
  Verdict,
} from './gossip.ts'
export { generatePeerKey, peerIdOf } from './libp2p.ts'
export { createP2PNetwork, type P2PNetwork, type P2PNetworkInit, type PeerListener } from './network.ts'
export type { RedialOptions } from './redial.ts'
