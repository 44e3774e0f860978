import { describe, expect, it } from 'vitest'
import { compile } from '../compiler/compile.ts'
import { encodeContribution, type PoolRecord } from '../contribution/encode.ts'
import { monomialsOf, poolLayout } from '../contribution/layout.ts'
import { parseSpec } from '../spec/parse.ts'
import { testManifest } from '../testing/manifest.ts'
import { SeededRandom } from '../testing/seeded-random.ts'
import type { Policy } from '../vault/policy.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { planPoolRelease, poolRecordBound } from './pool-plan.ts'
import { releasePool } from './pool-release.ts'

// The release's gates on every pool op, from an aggregate's slots as the committee would open them
// (here summed in plaintext: what is tested is the release, not the encryption). 8 contributors in
// bucket/group "rare", 500 in "busy" (5 of them with the alarm); the minimum is 10 contributors.
const schema: VaultSchema = {
  columns: [
    { name: 'kind', type: 'categorical', categories: ['rare', 'busy'], nullable: false },
    { name: 'load', type: 'bucketed', edges: [0, 10, 20], nullable: false },
    { name: 'temp', type: 'number', min: -20, max: 60, nullable: false },
    { name: 'alarm', type: 'boolean', nullable: false },
  ],
}
const spec = parseSpec({
  version: 1,
  outputs: {
    kinds: { op: 'histogram', of: 'kind', epsilon: 4 },
    loads: { op: 'quantiles', of: 'load', q: [0.004, 0.5], epsilon: 4 },
    temp: { op: 'group_mean', of: 'temp', by: 'kind', epsilon: 4 },
    alarmed: { op: 'group_mean', of: 'alarm*temp', by: 'kind', epsilon: 4 },
  },
})
const policy: Policy = {
  allowedOps: ['histogram', 'quantiles', 'group_mean'],
  minAggregation: 1,
  price: '0',
  privacy: { epsilon: 100, maxEpsilonPerJob: 16, unit: 'contributor' },
}

describe('releasePool', () => {
  it('suppresses each bucket, quantile and group under the minimum of contributors, and only those', () => {
    const layout = poolLayout({
      profile: 'ckks-8192',
      schema,
      monomials: monomialsOf(compile(spec, testManifest(schema, 10_000, policy))),
      maxRecords: 1,
    })
    const devices: PoolRecord[][] = [
      ...Array.from({ length: 8 }, () => [{ kind: 'rare', load: 5, temp: 30, alarm: true }]),
      ...Array.from({ length: 500 }, (_, i) => [
        { kind: 'busy', load: 10 + (i % 10), temp: 10 + (i % 20), alarm: i < 5 },
      ]),
    ]
    const slots = new Float64Array(4096)
    const counts = new Map<string, number>()
    devices.forEach((records, i) => {
      const s = encodeContribution(layout, records)
      for (let j = 0; j < slots.length; j++) slots[j]! += s[j]!
      counts.set(`device-${i}`, 1)
    })
    const circuit = compile(spec, testManifest(schema, poolRecordBound(layout, counts), policy))
    const plan = planPoolRelease({ spec, circuit, layout, policy, minContributors: 10, counts })
    for (let d = 0; d < 50; d++) {
      const { finished } = releasePool({
        manifest: testManifest(schema, circuit.recordCount, policy),
        circuit,
        plan,
        layout,
        expect: {},
        slots,
        random: new SeededRandom(`gates/${d}`),
      })
      const kinds = finished.outputs.kinds!
      const loads = finished.outputs.loads!
      const temp = finished.outputs.temp!
      if ('withheld' in kinds || kinds.op !== 'histogram') throw new Error(JSON.stringify(kinds))
      if ('withheld' in loads || loads.op !== 'quantiles') throw new Error(JSON.stringify(loads))
      if ('withheld' in temp || temp.op !== 'group_mean') throw new Error(JSON.stringify(temp))
      expect(kinds.buckets.rare).toBeNull()
      expect(kinds.buckets.busy).not.toBeNull()
      // the 0.004 quantile falls in the rare devices' bucket [0,10): not said; the median is
      expect(loads.quantiles['0.004']).toBeNull()
      expect(loads.error95?.['0.004']).toBeUndefined()
      expect(loads.quantiles['0.5']).toBeGreaterThanOrEqual(10)
      expect(temp.groups.rare).toBeNull()
      expect(temp.error95?.['mean:rare']).toBeUndefined()
      expect(temp.groups.busy?.mean).toBeGreaterThan(10)
      // 500 busy devices, but the alarm filters the mean's sum down to 5 of them: not said
      const alarmed = finished.outputs.alarmed!
      if ('withheld' in alarmed || alarmed.op !== 'group_mean') throw new Error(JSON.stringify(alarmed))
      expect(alarmed.groups.busy).toBeNull()
    }
  })
})
