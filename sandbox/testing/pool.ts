import { parseSpec } from '../spec/parse.ts'
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
