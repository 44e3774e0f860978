import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type AttestationBatch,
  addressOfPrivateKey,
  attestationBatchCodec,
  type Hex32,
  type ResultAttestation,
  signResultAttestation,
} from '../../protocol/index.ts'
import { hex32Of as h } from '../../protocol/testing/hex32.ts'
import { NodeError } from '../errors.ts'
import { ATTESTATION_BATCH_WINDOW_MS, AttestationBatcher } from './attestation-batcher.ts'
import { domain, keys } from './testing/epoch.ts'

const key = keys[0] as Hex32
const attest = (jobId: Hex32, signer = key) =>
  signResultAttestation(domain, signer, { jobId, resultHash: h(2), execEnvHash: h(3) })

describe('attestation batcher', () => {
  let pooled: ResultAttestation[]
  let published: AttestationBatch[]
  let batcher: AttestationBatcher

  beforeEach(() => {
    vi.useFakeTimers()
    pooled = []
    published = []
    batcher = new AttestationBatcher({
      validator: addressOfPrivateKey(key),
      pool: { add: (a) => pooled.push(a) },
      publish: async (batch) => {
        // what peers will decode: a batch the batcher builds must pass the topic's codec
        attestationBatchCodec.decode(attestationBatchCodec.encode(batch))
        published.push(batch)
      },
    })
    batcher.start()
  })
  afterEach(() => vi.useRealTimers())

  it('pools each attestation at once and gossips those queued within the window as one batch', async () => {
    const first = batcher.attest(attest(h(1)))
    await vi.advanceTimersByTimeAsync(ATTESTATION_BATCH_WINDOW_MS / 2)
    const second = batcher.attest(attest(h(2)))
    expect(pooled.map((a) => a.jobId)).toEqual([h(1), h(2)])
    expect(published).toEqual([])
    await vi.advanceTimersByTimeAsync(ATTESTATION_BATCH_WINDOW_MS / 2)
    await Promise.all([first, second])
    expect(published).toHaveLength(1)
    expect(published[0]!.attestations.map((a) => a.jobId)).toEqual([h(1), h(2)])
    // the window runs from the first attestation queued, not the last
    const third = batcher.attest(attest(h(3)))
    await vi.advanceTimersByTimeAsync(ATTESTATION_BATCH_WINDOW_MS)
    await third
    expect(published.map((b) => b.attestations.length)).toEqual([2, 1])
  })

  it('splits more than 256 queued attestations into several batches', async () => {
    const queued = Array.from({ length: 300 }, (_, i) => batcher.attest(attest(h(100 + i))))
    await vi.advanceTimersByTimeAsync(ATTESTATION_BATCH_WINDOW_MS)
    await Promise.all(queued)
    expect(published.map((b) => b.attestations.length)).toEqual([256, 44])
    expect(published.flatMap((b) => b.attestations.map((a) => a.jobId))).toEqual(
      Array.from({ length: 300 }, (_, i) => h(100 + i)),
    )
  })

  it('gossips a job attested twice within a window once', async () => {
    const sent = [batcher.attest(attest(h(1))), batcher.attest(attest(h(1)))]
    await vi.advanceTimersByTimeAsync(ATTESTATION_BATCH_WINDOW_MS)
    await Promise.all(sent)
    expect(published.map((b) => b.attestations.length)).toEqual([1])
  })

  it('flushes what is queued on stop, and holds nothing back once stopped', async () => {
    const queued = [batcher.attest(attest(h(1))), batcher.attest(attest(h(2)))]
    await batcher.stop()
    await Promise.all(queued)
    expect(published.map((b) => b.attestations.length)).toEqual([2])
    await batcher.attest(attest(h(3)))
    expect(published.map((b) => b.attestations.length)).toEqual([2, 1])
  })

  it('passes a failed publication to whoever queued the attestations', async () => {
    const failing = new AttestationBatcher({
      validator: addressOfPrivateKey(key),
      pool: { add: () => undefined },
      publish: () => Promise.reject(new Error('no network')),
    })
    failing.start()
    const sent = failing.attest(attest(h(1)))
    const outcome = expect(sent).rejects.toThrow('no network')
    await vi.advanceTimersByTimeAsync(ATTESTATION_BATCH_WINDOW_MS)
    await outcome
  })

  it("refuses another validator's attestation: its batch would be refused by every peer", () => {
    expect(() => batcher.attest(attest(h(1), keys[1] as Hex32))).toThrow(NodeError)
    expect(pooled).toEqual([])
  })
})
