import { TcfError } from '../../protocol/errors.ts'
/** Why the p2p layer refused a call or its configuration. Stable: the daemon logs and maps these. */
export type P2PErrorCode =
  | 'INVALID_PEER_KEY'
  | 'INVALID_MULTIADDR'
  | 'INVALID_TOPIC'
  | 'INVALID_BLOB_ID'
  | 'INVALID_LIMIT'
  /** node:crypto handed back an Ed25519 key without its private or public part. */
  | 'KEYGEN_FAILED'
  /** libp2p's pubsub service is not the gossipsub this node configures and scores. */
  | 'PUBSUB_MISMATCH'

/** A programming or configuration error on our side, never a remote peer's fault. */
export class P2PError extends TcfError {
  override readonly name = 'P2PError'
  readonly code: P2PErrorCode

  constructor(code: P2PErrorCode, detail: string, options?: ErrorOptions) {
    super(`${code}: ${detail}`, options)
    this.code = code
  }
}

/** Every peer asked answered that it does not hold the blob (or there was no peer to ask). */
export class BlobNotFoundError extends TcfError {
  override readonly name = 'BlobNotFoundError'
  readonly code = 'BLOB_NOT_FOUND'
  readonly blobId: string

  constructor(blobId: string, peersAsked: number) {
    super(`BLOB_NOT_FOUND: ${blobId} not held by any of ${peersAsked} peer(s) asked`)
    this.blobId = blobId
  }
}

/** Why this node's blob server dropped an inbound request: the reason it aborts the stream with. */
export type BlobServeErrorCode =
  /** Every inbound blob stream slot is taken. */
  | 'BLOB_SERVER_BUSY'
  /** The request was not answered within the server's per-request deadline. */
  | 'BLOB_REQUEST_TIMEOUT'
  /** The stream ended before the requester sent its request frame. */
  | 'BLOB_REQUEST_MISSING'

export class BlobServeError extends TcfError {
  override readonly name = 'BlobServeError'
  readonly code: BlobServeErrorCode

  constructor(code: BlobServeErrorCode, detail: string) {
    super(`${code}: ${detail}`)
    this.code = code
  }
}

/** Why fetching a blob from one peer failed. */
export type BlobFetchErrorCode =
  /** The announced size exceeds our limit; nothing beyond the header was read. */
  | 'BLOB_TOO_LARGE'
  /** The bytes received do not hash to the id: the peer is not trusted for this blob again. */
  | 'BLOB_HASH_MISMATCH'
  /** The per-request deadline passed. */
  | 'BLOB_TIMEOUT'
  /** The peer broke the framing: bad header, wrong id, frames longer or shorter than announced. */
  | 'BLOB_PROTOCOL'
  /** No stream could be opened or it was reset, e.g. the peer is gone, busy or does not speak the protocol. */
  | 'BLOB_UNAVAILABLE'
  /** The caller's signal aborted the fetch. */
  | 'BLOB_ABORTED'
  /** The peer holds the blob but keeps it from us: a result bundle, served to validators only. */
  | 'BLOB_REFUSED'

export interface BlobAttempt {
  readonly peer: string
  readonly code: BlobFetchErrorCode | 'BLOB_NOT_FOUND'
}

/**
 * A blob could not be fetched. `code` is the first failure that was not a plain "not found";
 * `attempts` lists what every peer asked answered, in order.
 */
export class BlobFetchError extends TcfError {
  override readonly name = 'BlobFetchError'
  readonly code: BlobFetchErrorCode
  readonly blobId: string
  readonly attempts: readonly BlobAttempt[]

  constructor(
    code: BlobFetchErrorCode,
    blobId: string,
    attempts: readonly BlobAttempt[],
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${blobId}: ${detail}`, options)
    this.code = code
    this.blobId = blobId
    this.attempts = attempts
  }
}
