import { describe, expect, it } from 'vitest'
import { compile } from '../compiler/compile.ts'
import { CONTRIBUTORS, gatesOf } from '../contribution/gates.ts'
import { monomialsOf, poolLayout } from '../contribution/layout.ts'
import { SandboxError } from '../errors.ts'
import { parseSpec } from '../spec/parse.ts'
import { testManifest } from '../testing/manifest.ts'
import type { Policy } from '../vault/policy.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { planPrivacy } from './plan.ts'
import { GATE_SHARE, type PoolPlanInput, planPoolRelease, poolRecordBound } from './pool-plan.ts'

const schema: VaultSchema = {
  columns: [
    { name: 'cell', type: 'categorical', categories: ['a', 'b', 'c'], nullable: false },
    { name: 'hour', type: 'bucketed', edges: [0, 12, 24], nullable: false },
    { name: 'speed', type: 'number', min: 0, max: 100, nullable: true },
  ],
}
const policy: Policy = {
  allowedOps: ['histogram2d', 'group_mean', 'mean', 'quantiles'],
  minAggregation: 1,
  price: '0',
  privacy: { epsilon: 10, maxEpsilonPerJob: 1, unit: 'contributor' },
}
const spec = parseSpec({
  version: 1,
  outputs: {
    heat: { op: 'histogram2d', of: ['cell', 'hour'] },
    speed: { op: 'group_mean', of: 'speed', by: 'cell' },
  },
})
const counts = new Map([
  ['0xaa', 1],
  ['0xbb', 3],
  ['0xcc', 2],
])

function input(over: Partial<PoolPlanInput> = {}): PoolPlanInput {
  const layout = poolLayout({
    profile: 'ckks-8192',
    schema,
    monomials: monomialsOf(compile(over.spec ?? spec, testManifest(schema, 100, policy))),
    maxRecords: 4,
  })
  const c = over.counts ?? counts
  const circuit = compile(over.spec ?? spec, testManifest(schema, poolRecordBound(layout, c), policy))
  return { spec, circuit, layout, policy, minContributors: 2, counts: c, ...over }
}

function refusal(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    if (!(e instanceof SandboxError)) throw e
    return `${e.code} ${e.field}`
  }
  throw new Error('expected a refusal')
}

describe('planPoolRelease: the contributor as the privacy unit', () => {
  it('sizes every stat for one contributor: its most contributions times maxRecords records', () => {
    const plan = planPoolRelease(input())
    expect(plan.perContributor).toBe(3)
    expect(plan.unitRecords).toBe(12)
    // a heatmap cell is a count: 12 records of one contributor; a speed sum is signed: 2 × 12
    const circuit = input().circuit
    const cell = circuit.outputs[0]!.sums['cell:0,0']![0]![0]
    const speedSum = circuit.outputs[1]!.sums['sum:a']![0]![0]
    expect(plan.stats[cell]!.sensitivity).toBe(12)
    expect(plan.stats[speedSum]!.sensitivity).toBe(24)
    // The job is charged its outputs' epsilons, per contributor: the per-job limit.
    expect(plan.epsilon).toBe(1)
    // The gates get a quarter of each output's epsilon, sized for one contributor: K = 3 per slot.
    expect(plan.gates).toHaveLength(6 + 3)
    expect(plan.gates.every((g) => g.noise.sensitivity === 3 && g.key.startsWith(CONTRIBUTORS))).toBe(true)
    // the stats keep three quarters: the heatmap's family spends 0.5 × 0.75 in all
    const heatStats = plan.stats.filter((_, i) => plan.outputs[0]!.stats.includes(i))
    const record = planPrivacy(spec, input().circuit, {
      ...testManifest(schema, input().circuit.recordCount, {
        ...policy,
        privacy: { epsilon: 10, maxEpsilonPerJob: 1, unit: 'record' },
      }),
    })
    // one contributor's 12 records move at most 6 cells twice: each cell's noise is far wider than per record
    const heatRecord = record.stats.filter((_, i) => record.outputs[0]!.stats.includes(i))
    expect(heatStats[0]!.std / heatRecord[0]!.std).toBeGreaterThan(12)
    expect(GATE_SHARE).toBe(0.25)
  })

  it('adds a contributors slot to the layout for every cell, bucket and group it releases', () => {
    const circuit = input().circuit
    const keys = monomialsOf(circuit)
    for (const g of gatesOf(circuit)) expect(keys).toContain(g.key)
    expect(keys.filter((k) => k.startsWith(CONTRIBUTORS))).toHaveLength(6 + 3)
  })

  it('refuses what a pool cannot release privately, with typed errors', () => {
    const recordPolicy = { ...policy, privacy: { epsilon: 10, maxEpsilonPerJob: 1, unit: 'record' as const } }
    expect(refusal(() => planPoolRelease(input({ policy: recordPolicy })))).toBe(
      'POLICY_INVALID policy.privacy.unit',
    )
    const { privacy: _, ...noPrivacy } = policy
    expect(refusal(() => planPoolRelease(input({ policy: noPrivacy })))).toBe(
      'POLICY_INVALID policy.privacy.unit',
    )
    const mean = parseSpec({ version: 1, outputs: { m: { op: 'mean', of: 'speed' } } })
    expect(refusal(() => planPoolRelease(input({ spec: mean })))).toBe('OP_NOT_ALLOWED outputs.m.op')
    expect(refusal(() => planPoolRelease(input({ minContributors: 0 })))).toBe(
      'POLICY_INVALID pool.minContributors',
    )
    expect(refusal(() => planPoolRelease(input({ minContributors: 4 })))).toBe('AGGREGATION_TOO_SMALL counts')
    expect(
      refusal(() =>
        planPoolRelease(input({ counts: new Map([...counts, ['0xdd', 0]]), minContributors: 1 })),
      ),
    ).toBe('SNAPSHOT_INVALID counts.0xdd')
    expect(
      refusal(() =>
        planPoolRelease(input({ counts: new Map([...counts, ['0xdd', 1.5]]), minContributors: 1 })),
      ),
    ).toBe('SNAPSHOT_INVALID counts.0xdd')
    expect(refusal(() => planPoolRelease(input({ falseRelease: 0 })))).toBe('POLICY_INVALID falseRelease')
    // compiled for another snapshot: its record bound, so its noise and clamps, would be wrong
    const stale = compile(spec, testManifest(schema, 7, policy))
    expect(refusal(() => planPoolRelease(input({ circuit: stale })))).toBe(
      'SNAPSHOT_INVALID circuit.recordCount',
    )
    // a layout without the gates' slots cannot say how many contributors a cell has
    const bare = poolLayout({
      profile: 'ckks-8192',
      schema,
      monomials: input().circuit.stats.map((s) => s.key),
      maxRecords: 4,
    })
    expect(() => planPoolRelease(input({ layout: bare }))).toThrow(/MONOMIAL_MISSING|no slot/)
    // and the per-record planner refuses a contributor policy rather than under-noise it
    const circuit = input().circuit
    expect(refusal(() => planPrivacy(spec, circuit, testManifest(schema, circuit.recordCount, policy)))).toBe(
      'POLICY_INVALID policy.privacy.unit',
    )
  })
})
