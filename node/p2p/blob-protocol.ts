/**
 * The blob exchange protocol, `/tcf/blob/1.0.0`: what both sides share.
 *
 * One request per stream. The requester writes one length-prefixed `BlobRequest` (protocol's
 * codec) and closes its write side. For each requested id, in order, the server writes one
 * length-prefixed `BlobResponse` header; after a `found` header the blob's bytes follow as
 * length-prefixed frames of at most `CHUNK_BYTES`, exactly `size` bytes in all. The requester
 * checks sha256(bytes) against the id before using them.
 */
import type { Hex32 } from '../../protocol/index.ts'

export const BLOB_PROTOCOL = '/tcf/blob/1.0.0'

/** Body frame size: large enough to amortise framing, small enough to bound each read. */
export const CHUNK_BYTES = 256 * 1024

/** The protocol's `BlobResponse.size` bound; no limit may exceed it. */
export const PROTOCOL_MAX_BLOB_BYTES = 64 * 1024 * 1024

export interface BlobLimits {
  /** Largest blob served or accepted, at most `PROTOCOL_MAX_BLOB_BYTES`. */
  readonly maxBlobBytes: number
  /** Inbound blob streams open at once on one connection; more are reset by libp2p. */
  readonly maxInboundStreamsPerPeer: number
  /** Inbound blob streams open at once across all peers; more are reset by us. */
  readonly maxInboundStreamsTotal: number
  /** Deadline for one request, on either side (a slow reader cannot hold a server stream). */
  readonly requestTimeoutMs: number
}

export const DEFAULT_BLOB_LIMITS: BlobLimits = {
  maxBlobBytes: PROTOCOL_MAX_BLOB_BYTES,
  maxInboundStreamsPerPeer: 4,
  maxInboundStreamsTotal: 32,
  requestTimeoutMs: 60_000,
}

/** A blob the source holds but will not give to this requester. */
export const BLOB_REFUSED = 'refused'

/**
 * Where the server finds the blobs it serves; the daemon backs it with its store. `peer` is the
 * requester's libp2p peer id (authenticated by the connection), so the source can keep some blobs
 * for some peers only.
 */
export interface BlobSource {
  get(id: Hex32, peer: string): Promise<Uint8Array | typeof BLOB_REFUSED | undefined>
}

/** Blob exchange totals, for metrics. */
export interface BlobCounters {
  blobsServed: number
  bytesServed: number
  /** blobs the source refused to the peer that asked */
  blobsRefused: number
  blobsFetched: number
  bytesFetched: number
}
