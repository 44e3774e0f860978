import type { IncomingStreamData, Libp2p, Stream } from '@libp2p/interface'
import * as lp from 'it-length-prefixed'
import type { Logger } from 'pino'
import type { Uint8ArrayList } from 'uint8arraylist'
import {
  asError,
  blobRequestCodec,
  blobResponseCodec,
  type Hex32,
  PROTOCOL_VERSION,
} from '../../protocol/index.ts'
import {
  BLOB_PROTOCOL,
  BLOB_REFUSED,
  type BlobCounters,
  type BlobLimits,
  type BlobSource,
  CHUNK_BYTES,
} from './blob-protocol.ts'
import { BlobServeError } from './errors.ts'

/** Serves blobs from a `BlobSource` to peers, within the configured stream and size limits. */
export class BlobServer {
  private readonly node: Pick<Libp2p, 'handle' | 'unhandle'>
  private readonly source: BlobSource
  private readonly limits: BlobLimits
  private readonly counters: BlobCounters
  private readonly log: Logger
  private active = 0

  constructor(
    node: Pick<Libp2p, 'handle' | 'unhandle'>,
    source: BlobSource,
    limits: BlobLimits,
    counters: BlobCounters,
    log: Logger,
  ) {
    this.node = node
    this.source = source
    this.limits = limits
    this.counters = counters
    this.log = log
  }

  async start(): Promise<void> {
    await this.node.handle(BLOB_PROTOCOL, this.onStream, {
      maxInboundStreams: this.limits.maxInboundStreamsPerPeer,
    })
  }

  async stop(): Promise<void> {
    await this.node.unhandle(BLOB_PROTOCOL)
  }

  private readonly onStream = ({ stream, connection }: IncomingStreamData): void => {
    const peer = connection.remotePeer.toString()
    if (this.active >= this.limits.maxInboundStreamsTotal) {
      this.log.debug({ peer }, 'blob stream refused: server busy')
      stream.abort(new BlobServeError('BLOB_SERVER_BUSY', 'every blob stream slot is taken'))
      return
    }
    this.active++
    void this.serve(stream, peer).finally(() => this.active--)
  }

  private async serve(stream: Stream, peer: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new BlobServeError('BLOB_REQUEST_TIMEOUT', `not answered in ${this.limits.requestTimeoutMs} ms`),
          ),
        this.limits.requestTimeoutMs,
      )
    })
    const exchange = this.exchange(stream, peer)
    // After a timeout the exchange's own failure is moot; it must not surface as unhandled.
    exchange.catch(() => {})
    try {
      // Raced rather than awaited, so that a slow reader or a stalled BlobSource frees its slot.
      await Promise.race([exchange, timedOut])
    } catch (error) {
      this.log.debug({ peer, err: String(error) }, 'blob request failed')
      stream.abort(asError(error))
    } finally {
      clearTimeout(timer)
    }
  }

  private async exchange(stream: Stream, peer: string): Promise<void> {
    const frame = await firstFrame(stream.source, blobRequestCodec.maxBytes)
    const request = blobRequestCodec.decode(frame.subarray())
    await stream.sink(this.respond(request.blobIds, peer))
    await stream.close()
  }

  private async *respond(ids: readonly Hex32[], peer: string): AsyncGenerator<Uint8ArrayList> {
    for (const blobId of ids) {
      const blob = await this.source.get(blobId, peer)
      if (blob === BLOB_REFUSED) {
        this.counters.blobsRefused++
        this.log.debug({ peer, blobId }, 'blob refused to this peer')
        yield lp.encode.single(
          blobResponseCodec.encode({ version: PROTOCOL_VERSION, blobId, status: 'refused' }),
        )
        continue
      }
      if (blob === undefined || blob.length > this.limits.maxBlobBytes) {
        if (blob !== undefined) this.log.warn({ blobId, bytes: blob.length }, 'blob above limit not served')
        yield lp.encode.single(
          blobResponseCodec.encode({ version: PROTOCOL_VERSION, blobId, status: 'not-found' }),
        )
        continue
      }
      yield lp.encode.single(
        blobResponseCodec.encode({ version: PROTOCOL_VERSION, blobId, status: 'found', size: blob.length }),
      )
      for (let offset = 0; offset < blob.length; offset += CHUNK_BYTES) {
        yield lp.encode.single(blob.subarray(offset, offset + CHUNK_BYTES))
      }
      this.counters.blobsServed++
      this.counters.bytesServed += blob.length
    }
  }
}

/** The request frame; the rest of the inbound side is not read (the requester closed it). */
async function firstFrame(source: Stream['source'], maxBytes: number): Promise<Uint8ArrayList> {
  const frames = lp.decode(source, { maxDataLength: maxBytes })
  const first = await frames.next()
  await frames.return()
  if (first.done === true) throw new BlobServeError('BLOB_REQUEST_MISSING', 'stream ended before the request')
  return first.value
}
