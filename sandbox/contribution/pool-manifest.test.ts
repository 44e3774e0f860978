import { describe, expect, it } from 'vitest'
import type { Address, Hex32 } from '../../protocol/vocabulary.ts'
import { TRAFFIC_TEST_SCHEMA, TRAFFIC_TEST_SPEC } from '../testing/pool.ts'
import { parseManifest } from '../vault/manifest.ts'
import { ContributionError } from './errors.ts'
import { layoutIdOf } from './layout.ts'
import { poolKeyId, poolLayoutOf, poolManifest, snapshotManifest } from './pool-manifest.ts'

const schema = TRAFFIC_TEST_SCHEMA
const spec = TRAFFIC_TEST_SPEC
const keyHash = `0x${'ab'.repeat(32)}` as Hex32
const curator = '0x00000000000000000000000000000000000000C1' as Address

function manifest() {
  return poolManifest({
    schema,
    specs: [spec],
    policy: { allowedOps: ['histogram2d', 'group_mean'], minAggregation: 1, price: '1000' },
    committee: {
      profile: 'ckks-8192',
      // Only hashed into the manifest's key ids here.
      publicKey: Uint8Array.of(1, 2, 3),
      relinKeys: Uint8Array.of(4, 5),
      galoisKeys: Uint8Array.of(6),
      keyHolder: { mode: 'committee', epoch: 1, keyHash },
    },
    maxRecords: 10,
    bound: { perWindow: 2, windowBlocks: 100 },
    minContributors: 5,
    curator,
  })
}

describe('pool manifest', () => {
  it('is a chunkless committee vault whose layout holds the monomials of its specs', () => {
    const m = manifest()
    expect(parseManifest(JSON.parse(JSON.stringify(m))).vaultId).toBe(m.vaultId)
    expect(m.chunkCount).toBe(0)
    expect(m.columns.every((c) => c.chunks.length === 0)).toBe(true)
    expect(m.policy.privacy?.unit).toBe('contributor')
    expect(m.pool?.curator).toBe(curator.toLowerCase())
    const layout = poolLayoutOf(m)
    expect(layoutIdOf(layout)).toBe(m.pool?.layoutId)
    // 3 cells x 2 hour buckets, speed count and sum per cell, speed present
    expect(layout.monomials).toContain('cell=c1*hour=[0,12)')
    expect(layout.monomials).toContain('cell=c2*speed')
    expect(poolKeyId(m)).toBe(keyHash)
    expect(snapshotManifest(m, 7).recordCount).toBe(70)
  })

  it('refuses a pool whose layout id does not name its monomials, and a vault that is no pool', () => {
    const m = manifest()
    const pool = m.pool!
    const tampered = { ...m, pool: { ...pool, monomials: pool.monomials.slice(1) } }
    expect(() => poolLayoutOf(tampered)).toThrow(ContributionError)
    expect(() => poolLayoutOf(tampered)).toThrow(/layoutId/)
    const { pool: _none, ...plain } = m
    try {
      poolLayoutOf(plain)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ContributionError)
      expect((e as ContributionError).code).toBe('NOT_A_POOL')
    }
  })
})
