import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobIdOf } from '../../protocol/index.ts'
import { BLOB_REFUSED, type BlobSource } from './blob-protocol.ts'
import { BlobFetchError, BlobNotFoundError, P2PError } from './errors.ts'
import { addressOf, startNode, type TestNetwork } from './test-support.ts'

const MiB = 1024 * 1024

/** Serves what it holds and tracks how many `get` calls are in flight at once. */
class MapSource implements BlobSource {
  readonly blobs = new Map<string, Uint8Array>()
  inFlight = 0
  peak = 0
  /** While set, every `get` waits for it: a slow disk. */
  gate: Promise<void> | undefined

  async get(id: string): Promise<Uint8Array | undefined> {
    this.inFlight++
    this.peak = Math.max(this.peak, this.inFlight)
    try {
      await this.gate
      return this.blobs.get(id)
    } finally {
      this.inFlight--
    }
  }

  add(bytes: Uint8Array): string {
    const id = blobIdOf(bytes)
    this.blobs.set(id, bytes)
    return id
  }
}

const errorOf = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  )

describe('blob exchange', () => {
  const honestSource = new MapSource()
  const corruptSource = new MapSource()
  const slowSource = new MapSource()
  let honest: TestNetwork
  let corrupt: TestNetwork
  let slow: TestNetwork
  let client: TestNetwork
  const blob3 = new Uint8Array(randomBytes(3 * MiB))
  const blob5 = new Uint8Array(randomBytes(5 * MiB))
  let releaseSlow: () => void = () => {}

  beforeAll(async () => {
    honest = (await startNode({ blobSource: honestSource })).net
    corrupt = (await startNode({ blobSource: corruptSource })).net
    slow = (
      await startNode({
        blobSource: slowSource,
        blobLimits: { maxInboundStreamsTotal: 2, maxInboundStreamsPerPeer: 8, requestTimeoutMs: 3_000 },
      })
    ).net
    client = (
      await startNode({
        bootstrap: [addressOf(honest), addressOf(corrupt), addressOf(slow)],
        blobLimits: { maxBlobBytes: 4 * MiB, requestTimeoutMs: 2_000 },
      })
    ).net
    const deadline = Date.now() + 10_000
    while (client.connectedPeers().length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 25))
    expect(client.connectedPeers()).toHaveLength(3)
  })

  afterAll(async () => {
    releaseSlow()
    await Promise.all([honest, corrupt, slow, client].filter(Boolean).map((net) => net.stop()))
  })

  it('fetches a multi-chunk blob and verifies it', async () => {
    const id = honestSource.add(blob3)
    const started = performance.now()
    const bytes = await client.blobs.fetchBlob(id, { peers: [honest.peerId] })
    const ms = performance.now() - started
    console.log(
      `blob fetch: 3 MiB (12 frames) in ${ms.toFixed(1)} ms, ${(3 / (ms / 1000)).toFixed(0)} MiB/s on loopback`,
    )
    expect(Buffer.from(bytes).equals(Buffer.from(blob3))).toBe(true)
    expect(client.blobStats()).toMatchObject({ blobsFetched: 1, bytesFetched: 3 * MiB })
    expect(honest.blobStats()).toMatchObject({ blobsServed: 1, bytesServed: 3 * MiB })
  })

  it('falls through a peer that serves corrupted bytes to an honest one, and distrusts it', async () => {
    const good = new Uint8Array(randomBytes(300 * 1024))
    const id = honestSource.add(good)
    const bad = good.slice()
    bad[bad.length - 1]! ^= 1
    corruptSource.blobs.set(id, bad)

    const bytes = await client.blobs.fetchBlob(id, { peers: [corrupt.peerId, honest.peerId] })
    expect(Buffer.from(bytes).equals(Buffer.from(good))).toBe(true)
    expect(corrupt.blobStats().blobsServed).toBe(1)

    // Asked alone, the corrupt peer is no longer trusted for this blob.
    const skipped = await errorOf(client.blobs.fetchBlob(id, { peers: [corrupt.peerId] }))
    expect(skipped).toBeInstanceOf(BlobNotFoundError)
    expect(corrupt.blobStats().blobsServed).toBe(1)
  })

  it('reports BLOB_HASH_MISMATCH when only a corrupt peer has the blob', async () => {
    const good = new Uint8Array(randomBytes(1000))
    const id = blobIdOf(good)
    corruptSource.blobs.set(id, new Uint8Array(1000))
    const error = await errorOf(client.blobs.fetchBlob(id, { peers: [corrupt.peerId, honest.peerId] }))
    expect(error).toBeInstanceOf(BlobFetchError)
    expect(error).toMatchObject({
      code: 'BLOB_HASH_MISMATCH',
      attempts: [
        { peer: corrupt.peerId, code: 'BLOB_HASH_MISMATCH' },
        { peer: honest.peerId, code: 'BLOB_NOT_FOUND' },
      ],
    })
  })

  it('refuses a blob above its size limit after the header', async () => {
    const id = honestSource.add(blob5)
    const error = await errorOf(client.blobs.fetchBlob(id, { peers: [honest.peerId] }))
    expect(error).toMatchObject({ name: 'BlobFetchError', code: 'BLOB_TOO_LARGE' })
    // Nothing of it was counted (or kept) as fetched.
    expect(client.blobStats().bytesFetched).toBe(3 * MiB + 300 * 1024)
  })

  it('reports BLOB_NOT_FOUND when no connected peer holds the blob', async () => {
    const id = blobIdOf(new TextEncoder().encode('nobody has this'))
    const error = await errorOf(client.blobs.fetchBlob(id))
    expect(error).toBeInstanceOf(BlobNotFoundError)
    expect(error).toMatchObject({ code: 'BLOB_NOT_FOUND', blobId: id })
  })

  it('refuses an id that is not a sha256 hex string', async () => {
    const error = await errorOf(client.blobs.fetchBlob('0xABC'))
    expect(error).toBeInstanceOf(P2PError)
    expect(error).toMatchObject({ code: 'INVALID_BLOB_ID' })
  })

  it('caps concurrent inbound streams, times out a stalled request, and frees the slots', async () => {
    const ids = Array.from({ length: 4 }, (_, i) => slowSource.add(new Uint8Array([i])))
    slowSource.gate = new Promise((resolve) => {
      releaseSlow = resolve
    })
    const started = performance.now()
    const results = await Promise.allSettled(
      ids.map((id) => client.blobs.fetchBlob(id, { peers: [slow.peerId] })),
    )
    expect(slowSource.peak).toBe(2)
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as BlobFetchError).code : 'ok'))
    // Two were refused at once (server busy); the two admitted stalled until the client's 2 s deadline.
    expect(codes.sort()).toEqual(['BLOB_TIMEOUT', 'BLOB_TIMEOUT', 'BLOB_UNAVAILABLE', 'BLOB_UNAVAILABLE'])

    // The stalled `get`s never return, but the server's own 3 s deadline gives their slots back.
    slowSource.gate = undefined
    const fresh = slowSource.add(new Uint8Array([42]))
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 3_100 - (performance.now() - started))))
    expect(await client.blobs.fetchBlob(fresh, { peers: [slow.peerId] })).toEqual(new Uint8Array([42]))
    releaseSlow()
  })

  it('fetches many blobs with bounded concurrency, in order', async () => {
    slowSource.peak = 0
    const blobs = Array.from({ length: 6 }, () => new Uint8Array(randomBytes(64 * 1024)))
    const ids = blobs.map((b) => slowSource.add(b))
    const fetched = await client.blobs.fetchBlobs(ids, { peers: [slow.peerId], concurrency: 2 })
    expect(fetched.map((b) => blobIdOf(b))).toEqual(ids)
    expect(slowSource.peak).toBeLessThanOrEqual(2)
  })
})

describe('blobs kept for the validators', () => {
  const held = new MapSource()
  /** ids served only to the guarded node's direct peers, as the daemon keeps result bundles */
  const restricted = new Set<string>()
  let guarded: TestNetwork
  let validator: TestNetwork
  let stranger: TestNetwork

  beforeAll(async () => {
    guarded = (
      await startNode({
        blobSource: {
          get: async (id, peer) =>
            restricted.has(id) && !guarded.isDirectPeer(peer) ? BLOB_REFUSED : held.get(id),
        },
      })
    ).net
    validator = (await startNode({ bootstrap: [addressOf(guarded)] })).net
    stranger = (await startNode({ bootstrap: [addressOf(guarded)] })).net
    guarded.setDirectPeers([addressOf(validator)])
    const deadline = Date.now() + 10_000
    while (guarded.connectedPeers().length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 25))
    expect(guarded.connectedPeers()).toHaveLength(2)
  })

  afterAll(async () => {
    await Promise.all([guarded, validator, stranger].filter(Boolean).map((net) => net.stop()))
  })

  it('refuses a restricted blob to a stranger, clearly and at once, and serves it to a direct peer', async () => {
    const bundle = new Uint8Array(randomBytes(300 * 1024))
    const id = held.add(bundle)
    restricted.add(id)

    const refused = await errorOf(stranger.blobs.fetchBlob(id, { peers: [guarded.peerId] }))
    expect(refused).toBeInstanceOf(BlobFetchError)
    expect(refused).toMatchObject({
      code: 'BLOB_REFUSED',
      attempts: [{ peer: guarded.peerId, code: 'BLOB_REFUSED' }],
    })
    expect(guarded.blobStats()).toMatchObject({ blobsRefused: 1, blobsServed: 0, bytesServed: 0 })

    const served = await validator.blobs.fetchBlob(id, { peers: [guarded.peerId] })
    expect(Buffer.from(served).equals(Buffer.from(bundle))).toBe(true)
    expect(guarded.blobStats()).toMatchObject({ blobsRefused: 1, blobsServed: 1 })

    // An unrestricted blob (a vault ciphertext) still goes to anyone.
    const chunk = new Uint8Array(randomBytes(1000))
    expect(await stranger.blobs.fetchBlob(held.add(chunk), { peers: [guarded.peerId] })).toEqual(chunk)
  })

  it('refuses a stranger again once the validator set no longer lists it', async () => {
    const id = held.add(new Uint8Array(randomBytes(1000)))
    restricted.add(id)
    guarded.setDirectPeers([addressOf(stranger)])
    expect(await stranger.blobs.fetchBlob(id, { peers: [guarded.peerId] })).toHaveLength(1000)
    guarded.setDirectPeers([addressOf(validator)])
    const refused = await errorOf(stranger.blobs.fetchBlob(id, { peers: [guarded.peerId] }))
    expect(refused).toMatchObject({ code: 'BLOB_REFUSED' })
  })
})
