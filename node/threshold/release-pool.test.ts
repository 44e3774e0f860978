import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  type SealedPayload,
  signOutputShares,
  signScoreShare,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import { hex32Of as h } from '../../protocol/testing/hex32.ts'
import { testValidators } from '../jobs/testing/validator-set.ts'
import { createNodeStore, type NodeStore } from '../storage/index.ts'
import { ThresholdReleasePool } from './release-pool.ts'

const { domain, validatorKeys: keys } = testValidators()
const jobId = h(1)
const sealed = (n: number): SealedPayload => ({
  scheme: 'secp256k1-hkdf-sha256-aes256gcm',
  ephemeralPublicKey: `0x02${'79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'}`,
  nonce: `0x${n.toString(16).padStart(24, '0')}`,
  ciphertext: `0x${'ab'.repeat(40)}`,
})

/** Member m's phase-1 release, and with `outputs` its phase-2 shares for [1, 2, 4]. */
function release(m: number, outputs?: number, job = jobId): ThresholdRelease {
  const key = keys[m - 1]!
  const common = {
    jobId: job,
    resultHash: h(2),
    keyHash: h(3),
    member: m,
    validator: addressOfPrivateKey(key),
  }
  const share = signScoreShare(domain, key, {
    ...common,
    sets: [{ participants: [1, 2, 4], stats: [['5']] }],
    constants: [{ c0: ['7'], scale: 2 ** 40 }],
  })
  const base: ThresholdRelease = { version: 1, share, attempt: 0 }
  if (outputs === undefined) return base
  return {
    ...base,
    outputs: signOutputShares(domain, key, { ...common, participants: [1, 2, 4], sealed: sealed(outputs) }),
  }
}

describe('the threshold release pool: phase 1 for the proposer, phase 2 kept for the buyer', () => {
  let dir: string
  let store: NodeStore
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-release-pool-'))
    store = createNodeStore({ dir })
    await store.open()
  })
  afterAll(async () => {
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('offers complete score sets, then keeps output shares after the release, once per member, across a restart', async () => {
    const pool = new ThresholdReleasePool(store)
    for (const m of [1, 2, 4]) await pool.keep(release(m))
    expect(pool.candidates(() => 3).map((c) => c.participants)).toEqual([[1, 2, 4]])
    pool.released(jobId)
    expect(pool.candidates(() => 3)).toEqual([])
    await pool.keep(release(2, 1))
    // A second, different output share of the same member is not taken: the first stays.
    await pool.keep(release(2, 2))
    expect(pool.hasOutputs(jobId, 2)).toBe(true)
    // Output shares after the release do not put the job back before the proposer.
    expect(pool.candidates(() => 3)).toEqual([])
    const held = await pool.releasesOf(jobId)
    expect(held.map((r) => r.share.member).sort()).toEqual([1, 2, 4])
    expect(held.find((r) => r.share.member === 2)?.outputs?.sealed.nonce).toBe(sealed(1).nonce)
    expect(held.filter((r) => r.outputs).length).toBe(1)

    await store.close()
    await store.open()
    const reopened = await new ThresholdReleasePool(store).releasesOf(jobId)
    expect(reopened).toEqual(held)
  })

  it('keeps the score shares of the block that released a job, for a node that missed their gossip', async () => {
    const late = h(9)
    const releaseOf = (m: number) => release(m, undefined, late)
    const pool = new ThresholdReleasePool(store)
    // Only member 1's share arrived before the block; the others came while this node lagged.
    await pool.keep(releaseOf(1))
    pool.released(late)
    await pool.keepDecided([1, 2, 4].map((m) => releaseOf(m).share))
    const held = await pool.releasesOf(late)
    expect(held.map((r) => r.share.member).sort()).toEqual([1, 2, 4])
    expect(held.filter((r) => r.outputs)).toEqual([])
    // A released job is not offered to a proposer again, and a member's entry is not doubled.
    expect(pool.candidates(() => 3)).toEqual([])
    await pool.keepDecided([releaseOf(2).share])
    expect((await pool.releasesOf(late)).length).toBe(3)
    await store.close()
    await store.open()
    expect(
      (await new ThresholdReleasePool(store).releasesOf(late)).map((r) => r.share.member).sort(),
    ).toEqual([1, 2, 4])
  })
})
