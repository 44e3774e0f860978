import type { Address, Hex32 } from '../../protocol/vocabulary.ts'
import { poolManifest } from '../contribution/pool-manifest.ts'
import { parseSpec } from '../spec/parse.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import type { VaultSchema } from '../vault/schema.ts'

/** A small traffic pool for tests: 3 grid cells, 2 hour buckets, a speed. */
export const TRAFFIC_TEST_SCHEMA: VaultSchema = {
  columns: [
    { name: 'cell', type: 'categorical', categories: ['c0', 'c1', 'c2'], nullable: false },
    { name: 'hour', type: 'bucketed', edges: [0, 12, 24], nullable: false },
    { name: 'speed', type: 'number', min: 0, max: 130, nullable: true },
  ],
}

/** The traffic market's ops on it: trips per cell and hour, mean speed per cell. */
export const TRAFFIC_TEST_SPEC = parseSpec({
  version: 1,
  outputs: {
    trips: { op: 'histogram2d', of: ['cell', 'hour'] },
    speed: { op: 'group_mean', of: 'speed', by: 'cell' },
  },
})

export interface TestPoolOptions {
  /** the committee public key's SEAL bytes contributions are encrypted under */
  readonly publicKey: Uint8Array
  readonly keyHash: Hex32
  readonly curator: Address
  readonly maxRecords: number
  readonly perWindow: number
  readonly windowBlocks: number
}

/** A traffic test pool: the committee's evaluation keys are placeholders, only hashed into the manifest. */
export function testPool(o: TestPoolOptions): VaultManifest {
  return poolManifest({
    schema: TRAFFIC_TEST_SCHEMA,
    specs: [TRAFFIC_TEST_SPEC],
    policy: { allowedOps: ['histogram2d', 'group_mean'], minAggregation: 1, price: '0' },
    committee: {
      profile: 'ckks-8192',
      publicKey: o.publicKey,
      relinKeys: Uint8Array.of(1),
      galoisKeys: Uint8Array.of(2),
      keyHolder: { mode: 'committee', epoch: 1, keyHash: o.keyHash },
    },
    maxRecords: o.maxRecords,
    bound: { perWindow: o.perWindow, windowBlocks: o.windowBlocks },
    minContributors: 2,
    curator: o.curator,
  })
}
