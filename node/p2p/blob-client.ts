import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import * as lp from 'it-length-prefixed'
import type { Logger } from 'pino'
import {
  asError,
  blobIdOf,
  blobRequestCodec,
  blobResponseCodec,
  DecodeError,
  type Hex32,
  isBlobId,
  PROTOCOL_VERSION,
} from '../../protocol/index.ts'
import { BLOB_PROTOCOL, type BlobCounters, type BlobLimits, CHUNK_BYTES } from './blob-protocol.ts'
import {
  type BlobAttempt,
  BlobFetchError,
  type BlobFetchErrorCode,
  BlobNotFoundError,
  P2PError,
} from './errors.ts'

export interface FetchBlobOptions {
  /** Peers to ask, in this order; by default every connected peer, in random order. */
  readonly peers?: readonly string[]
  readonly signal?: AbortSignal
}

export interface FetchBlobsOptions extends FetchBlobOptions {
  /** Blobs fetched at once; default 4. */
  readonly concurrency?: number
}

/** Errors it-length-prefixed throws for frames that break the framing. */
const FRAMING_ERRORS = new Set([
  'InvalidMessageLengthError',
  'InvalidDataLengthError',
  'InvalidDataLengthLengthError',
  'UnexpectedEOFError',
])

/** Ids whose bytes a peer got wrong; bounded so a flood of bad answers cannot grow it forever. */
const MAX_DISTRUSTED = 4096

/** Fetches content-addressed blobs from peers and verifies every byte against its id. */
export class BlobClient {
  private readonly node: Pick<Libp2p, 'dialProtocol' | 'getPeers'>
  private readonly limits: Pick<BlobLimits, 'maxBlobBytes' | 'requestTimeoutMs'>
  private readonly counters: BlobCounters
  private readonly log: Logger
  /** `${peer} ${blobId}` pairs a peer answered with bytes that do not hash to the id. */
  private readonly distrusted = new Set<string>()

  constructor(
    node: Pick<Libp2p, 'dialProtocol' | 'getPeers'>,
    limits: Pick<BlobLimits, 'maxBlobBytes' | 'requestTimeoutMs'>,
    counters: BlobCounters,
    log: Logger,
  ) {
    this.node = node
    this.limits = limits
    this.counters = counters
    this.log = log
  }

  /**
   * Asks peers in turn until one returns bytes that hash to `id`. Throws `BlobNotFoundError` when
   * every peer asked said it does not hold the blob, `BlobFetchError` otherwise.
   */
  async fetchBlob(id: string, options: FetchBlobOptions = {}): Promise<Uint8Array> {
    if (!isBlobId(id)) throw new P2PError('INVALID_BLOB_ID', `"${id}" is not 0x and 64 lowercase hex digits`)
    const blobId = id as Hex32
    const peers = (options.peers ?? shuffled(this.node.getPeers().map(String))).filter(
      (peer) => !this.distrusted.has(`${peer} ${blobId}`),
    )
    const attempts: BlobAttempt[] = []
    let firstFailure: BlobFetchError | undefined
    for (const peer of peers) {
      if (options.signal?.aborted === true) {
        throw new BlobFetchError('BLOB_ABORTED', blobId, attempts, 'aborted by the caller', {
          cause: options.signal.reason,
        })
      }
      try {
        const bytes = await this.fetchFrom(peer, blobId, options.signal)
        if (bytes !== undefined) {
          this.counters.blobsFetched++
          this.counters.bytesFetched += bytes.length
          return bytes
        }
        attempts.push({ peer, code: 'BLOB_NOT_FOUND' })
      } catch (error) {
        if (!(error instanceof BlobFetchError)) throw error
        attempts.push({ peer, code: error.code })
        this.log.debug({ peer, blobId, code: error.code, err: error.message }, 'blob fetch from peer failed')
        if (error.code === 'BLOB_ABORTED') {
          throw new BlobFetchError('BLOB_ABORTED', blobId, attempts, 'aborted by the caller', {
            cause: error,
          })
        }
        if (error.code === 'BLOB_HASH_MISMATCH') this.distrust(peer, blobId)
        firstFailure ??= error
      }
    }
    if (firstFailure === undefined) throw new BlobNotFoundError(blobId, attempts.length)
    throw new BlobFetchError(
      firstFailure.code,
      blobId,
      attempts,
      `no peer served it (${firstFailure.message})`,
      {
        cause: firstFailure,
      },
    )
  }

  /** Fetches several blobs, at most `concurrency` at a time, in `ids` order; fails on the first failure. */
  async fetchBlobs(ids: readonly string[], options: FetchBlobsOptions = {}): Promise<Uint8Array[]> {
    const { concurrency = 4, ...rest } = options
    const failed = new AbortController()
    const signal = rest.signal === undefined ? failed.signal : AbortSignal.any([rest.signal, failed.signal])
    const results: Uint8Array[] = new Array(ids.length)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < ids.length && !signal.aborted) {
        const index = next++
        try {
          results[index] = await this.fetchBlob(ids[index]!, { ...rest, signal })
        } catch (error) {
          failed.abort(error)
          throw error
        }
      }
    }
    const workers = Array.from({ length: Math.max(1, Math.min(concurrency, ids.length)) }, worker)
    const settled = await Promise.allSettled(workers)
    // The first failure is the one that aborted the others; theirs are only its echoes.
    if (failed.signal.aborted) throw failed.signal.reason
    const rejected = settled.find((result) => result.status === 'rejected')
    if (rejected !== undefined) throw rejected.reason
    return results
  }

  /** One request to one peer: the verified bytes, or undefined when the peer does not hold the blob. */
  private async fetchFrom(
    peer: string,
    blobId: Hex32,
    callerSignal?: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    const deadline = AbortSignal.timeout(this.limits.requestTimeoutMs)
    const signal = callerSignal === undefined ? deadline : AbortSignal.any([callerSignal, deadline])
    const fail = (code: BlobFetchErrorCode, detail: string, cause?: unknown): BlobFetchError =>
      new BlobFetchError(code, blobId, [{ peer, code }], `from ${peer}: ${detail}`, { cause })
    const interrupted = (cause: unknown): BlobFetchError | undefined =>
      callerSignal?.aborted === true
        ? fail('BLOB_ABORTED', 'aborted by the caller', cause)
        : deadline.aborted
          ? fail('BLOB_TIMEOUT', `no complete answer within ${this.limits.requestTimeoutMs} ms`, cause)
          : undefined

    let stream: Stream
    try {
      stream = await this.node.dialProtocol(peerIdFromString(peer), BLOB_PROTOCOL, { signal })
    } catch (error) {
      throw interrupted(error) ?? fail('BLOB_UNAVAILABLE', `could not open a stream: ${String(error)}`, error)
    }
    const abort = (): void =>
      stream.abort(interrupted(signal.reason) ?? fail('BLOB_ABORTED', 'request aborted'))
    signal.addEventListener('abort', abort, { once: true })
    try {
      await stream.sink([
        lp.encode.single(blobRequestCodec.encode({ version: PROTOCOL_VERSION, blobIds: [blobId] })),
      ])
      const frames = lp.decode(stream.source, { maxDataLength: CHUNK_BYTES })
      const header = await frames.next()
      if (header.done === true) throw fail('BLOB_PROTOCOL', 'stream ended before the response header')
      const response = blobResponseCodec.decode(header.value.subarray())
      if (response.blobId !== blobId) throw fail('BLOB_PROTOCOL', `answered for ${response.blobId}`)
      if (response.status === 'not-found') {
        await stream.close()
        return undefined
      }
      if (response.status === 'refused') throw fail('BLOB_REFUSED', 'the peer holds it but will not serve us')
      if (response.size > this.limits.maxBlobBytes) {
        throw fail(
          'BLOB_TOO_LARGE',
          `${response.size} bytes exceeds the limit of ${this.limits.maxBlobBytes}`,
        )
      }
      const bytes = new Uint8Array(response.size)
      let received = 0
      while (received < response.size) {
        const frame = await frames.next()
        if (frame.done === true)
          throw fail('BLOB_PROTOCOL', `stream ended after ${received} of ${response.size} bytes`)
        if (received + frame.value.byteLength > response.size) {
          throw fail('BLOB_PROTOCOL', `more than the announced ${response.size} bytes`)
        }
        for (const part of frame.value) {
          bytes.set(part, received)
          received += part.byteLength
        }
      }
      if (blobIdOf(bytes) !== blobId) {
        throw fail('BLOB_HASH_MISMATCH', `${response.size} bytes that do not hash to the id`)
      }
      await stream.close()
      return bytes
    } catch (error) {
      stream.abort(asError(error))
      if (error instanceof BlobFetchError) throw error
      const stopped = interrupted(error)
      if (stopped !== undefined) throw stopped
      if (error instanceof DecodeError || (error instanceof Error && FRAMING_ERRORS.has(error.name))) {
        throw fail('BLOB_PROTOCOL', error.message, error)
      }
      throw fail('BLOB_UNAVAILABLE', `stream failed: ${String(error)}`, error)
    } finally {
      signal.removeEventListener('abort', abort)
    }
  }

  private distrust(peer: string, blobId: Hex32): void {
    if (this.distrusted.size >= MAX_DISTRUSTED) {
      const oldest = this.distrusted.values().next()
      if (oldest.done !== true) this.distrusted.delete(oldest.value)
    }
    this.distrusted.add(`${peer} ${blobId}`)
  }
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}
