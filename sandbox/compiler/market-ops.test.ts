import { describe, expect, it } from 'vitest'
import { planPrivacy } from '../dp/plan.ts'
import { CompileError } from '../errors.ts'
import { PROFILES } from '../he/profiles.ts'
import { parseSpec } from '../spec/parse.ts'
import { testManifest } from '../testing/manifest.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import type { Policy } from '../vault/policy.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { compile } from './compile.ts'
import { packRotations } from './cost.ts'

/** The traffic market's columns: a grid cell, the hour of the trip, its speed. */
const schema: VaultSchema = {
  columns: [
    { name: 'cell', type: 'categorical', categories: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'], nullable: false },
    { name: 'hour', type: 'bucketed', edges: [0, 6, 10, 16, 20, 24], nullable: false },
    { name: 'speed', type: 'number', min: 0, max: 130, nullable: true },
    { name: 'night', type: 'boolean', nullable: false },
  ],
}
const OPS = ['histogram', 'histogram2d', 'group_mean', 'quantiles', 'mean'] as const

function manifest(recordCount = 10_000, policy: Partial<Policy> = {}): VaultManifest {
  return testManifest(schema, recordCount, {
    allowedOps: [...OPS],
    minAggregation: 20,
    price: '0',
    ...policy,
  })
}

function refusal(spec: unknown, m: VaultManifest = manifest()): CompileError {
  try {
    const parsed = parseSpec(spec)
    planPrivacy(parsed, compile(parsed, m), m)
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError)
    return e as CompileError
  }
  throw new Error('expected a refusal')
}

const one = (output: unknown) => ({ version: 1, outputs: { o: output } })

describe('the market ops in the compiler', () => {
  it('refuses each new op where the policy does not allow it, naming the op field', () => {
    const m = manifest(10_000, { allowedOps: ['mean'] })
    for (const output of [
      { op: 'histogram2d', of: ['cell', 'hour'] },
      { op: 'group_mean', of: 'speed', by: 'cell' },
      { op: 'quantiles', of: 'hour', q: [0.5] },
    ]) {
      expect(refusal(one(output), m)).toMatchObject({ code: 'OP_NOT_ALLOWED', field: 'outputs.o.op' })
    }
  })

  it('refuses a heatmap whose cells the records cannot fill to the minimum aggregation on average', () => {
    // 6 x 5 = 30 cells, minimum 20: 599 records average under 20 per cell, 600 do not
    expect(refusal(one({ op: 'histogram2d', of: ['cell', 'hour'] }), manifest(599))).toMatchObject({
      code: 'AGGREGATION_TOO_SMALL',
      field: 'outputs.o',
    })
    expect(() =>
      compile(parseSpec(one({ op: 'histogram2d', of: ['cell', 'hour'] })), manifest(600)),
    ).not.toThrow()
  })

  it('refuses quantiles with fewer than the minimum aggregation of records on one side', () => {
    expect(refusal(one({ op: 'quantiles', of: 'hour', q: [0.5, 0.999] }))).toMatchObject({
      code: 'AGGREGATION_TOO_SMALL',
      field: 'outputs.o.q.1',
    })
  })

  it('refuses columns of the wrong type and a term grouped by its own column', () => {
    expect(refusal(one({ op: 'histogram2d', of: ['cell', 'speed'] }))).toMatchObject({
      code: 'COLUMN_TYPE',
      field: 'outputs.o.of.1',
    })
    expect(refusal(one({ op: 'quantiles', of: 'cell', q: [0.5] }))).toMatchObject({
      code: 'COLUMN_TYPE',
      field: 'outputs.o.of',
    })
    expect(refusal(one({ op: 'group_mean', of: 'speed', by: 'speed' }))).toMatchObject({
      code: 'COLUMN_TYPE',
      field: 'outputs.o.by',
    })
    expect(refusal(one({ op: 'group_mean', of: 'speed', by: 'nowhere' }))).toMatchObject({
      code: 'UNKNOWN_COLUMN',
      field: 'outputs.o.by',
    })
  })

  it('refuses a spec asking more epsilon than the policy allows per job', () => {
    const m = manifest(10_000, { privacy: { epsilon: 5, maxEpsilonPerJob: 1, unit: 'record' } })
    expect(refusal(one({ op: 'histogram2d', of: ['cell', 'hour'], epsilon: 1.5 }), m)).toMatchObject({
      code: 'EPSILON_EXCEEDED',
      field: 'outputs',
    })
  })

  it('rejects a heatmap of one column with itself and unordered or repeated quantiles at parse time', () => {
    expect(() => parseSpec(one({ op: 'histogram2d', of: ['cell', 'cell'] }))).toThrow(
      expect.objectContaining({ code: 'SPEC_INVALID', field: 'outputs.o.of' }),
    )
    expect(() => parseSpec(one({ op: 'quantiles', of: 'hour', q: [0.5, 0.5] }))).toThrow(
      expect.objectContaining({ code: 'SPEC_INVALID', field: 'outputs.o.q' }),
    )
    expect(() => parseSpec(one({ op: 'quantiles', of: 'hour', q: [1] }))).toThrow(
      expect.objectContaining({ code: 'SPEC_INVALID', field: 'outputs.o.q.0' }),
    )
  })

  it('makes a heatmap of one-hot products that pack into one ciphertext', () => {
    // 30 stats leave alone by default (MAX_LONE_RESULTS); packed, they fit one ciphertext.
    const circuit = compile(
      parseSpec(one({ op: 'histogram2d', of: ['cell', 'hour'] })),
      manifest(),
      undefined,
      {
        maxLoneResults: 0,
      },
    )
    expect(circuit.stats).toHaveLength(30)
    expect(circuit.stats.every((s) => s.factors.length === 2 && s.depth === 1)).toBe(true)
    expect(circuit.packs).toHaveLength(1)
    expect(circuit.packs[0]!.stats).toHaveLength(30)
    // 30 stats in 32 classes: a few rotations per stat, not 12 each
    expect(circuit.cost.rotations).toBe(packRotations(PROFILES['ckks-8192'], circuit.packs[0]!))
    expect(circuit.cost.rotations).toBeLessThan(30 * 12)
  })

  it('groups by category with a filtered count where a boolean filters the term', () => {
    const circuit = compile(parseSpec(one({ op: 'group_mean', of: 'night*speed', by: 'cell' })), manifest())
    const sums = Object.keys(circuit.outputs[0]!.sums)
    expect(sums).toContain('filtered:c3')
    const form = circuit.outputs[0]!.sums['filtered:c3']!
    expect(circuit.stats[form[0]![0]]!.key).toBe('cell=c3*night*speed#present')
  })

  it('gives each cell of a heatmap half the output epsilon (a record moves two cells), and charges the output epsilon', () => {
    const m = manifest()
    const spec = parseSpec(one({ op: 'histogram2d', of: ['cell', 'hour'], epsilon: 0.8 }))
    const circuit = compile(spec, m)
    const plan = planPrivacy(spec, circuit, m)
    expect(plan.epsilon).toBeCloseTo(0.8, 12)
    for (const s of plan.stats) expect(s.epsilon).toBeCloseTo(0.4, 12)
    // group_mean: three families (counts of a nullable column's present records, sums), each 2 moved
    const g = parseSpec(one({ op: 'group_mean', of: 'speed', by: 'cell', epsilon: 1 }))
    const gp = planPrivacy(g, compile(g, m), m)
    expect(gp.epsilon).toBeCloseTo(1, 12)
    // n (Σ speed#present, one stat) + counts per cell + sums per cell: each family a third, cells halve theirs
    const epsilons = gp.stats.map((s) => s.epsilon).sort((a, b) => a - b)
    expect(epsilons[0]).toBeCloseTo(1 / 6, 12)
    expect(epsilons.at(-1)).toBeCloseTo(1 / 3, 12)
  })
})

describe('packing past one ciphertext of classes', () => {
  it('splits more packable stats than slots into several packs, each stat in exactly one', () => {
    const wide: VaultSchema = {
      columns: [
        { name: 'a', type: 'categorical', categories: Array.from({ length: 80 }, (_, i) => `a${i}`) },
        { name: 'b', type: 'categorical', categories: Array.from({ length: 64 }, (_, i) => `b${i}`) },
      ].map((c) => ({ ...c, type: 'categorical' as const, nullable: false })),
    }
    const m = testManifest(wide, 200_000, { allowedOps: ['histogram2d'], minAggregation: 1, price: '0' })
    const circuit = compile(parseSpec(one({ op: 'histogram2d', of: ['a', 'b'] })), m, {
      maxCostMs: Number.POSITIVE_INFINITY,
      maxMemoryBytes: Number.POSITIVE_INFINITY,
    })
    expect(circuit.stats).toHaveLength(5120)
    expect(circuit.packs.map((p) => p.stats.length)).toEqual([4096, 1024])
    expect(circuit.packs.every((p) => p.classes <= 4096)).toBe(true)
    const all = circuit.packs.flatMap((p) => p.stats).sort((x, y) => x - y)
    expect(all).toEqual(circuit.stats.map((_, i) => i))
  })
})
