import { describe, expect, it } from 'vitest'
import type { Hex32 } from '../../protocol/index.ts'
import { CompileError } from '../errors.ts'
import { parseSpec } from '../spec/parse.ts'
import { storedColumns } from '../vault/layout.ts'
import { type VaultManifest, vaultIdOf } from '../vault/manifest.ts'
import type { Policy } from '../vault/policy.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { RECORD_COUNT } from './circuit.ts'
import { compile } from './compile.ts'
import { MAX_LONE_RESULTS } from './pack.ts'

const schema: VaultSchema = {
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 90, nullable: false },
    { name: 'bmi', type: 'number', min: 15, max: 50, nullable: true },
    { name: 'hr', type: 'number', min: 40, max: 120, nullable: true },
    { name: 'sbp', type: 'integer', min: 80, max: 220, nullable: false },
    { name: 'sex', type: 'categorical', categories: ['F', 'M'], nullable: false },
    { name: 'smoker', type: 'boolean', nullable: false },
  ],
}
const policy: Policy = {
  allowedOps: ['count', 'mean', 'variance', 'correlation', 'histogram', 'linear_model_fit'],
  minAggregation: 50,
  price: '0',
}
const blob = `0x${'ab'.repeat(32)}` as Hex32

function manifest(overrides: Partial<VaultManifest> = {}): VaultManifest {
  const recordCount = overrides.recordCount ?? 10_000
  const chunkCount = Math.ceil(recordCount / 4096)
  const base = {
    version: 1 as const,
    profile: 'ckks-8192' as const,
    schema,
    recordCount,
    chunkCount,
    slotCount: 4096,
    keys: { publicKey: blob, relinKeys: blob, galoisKeys: blob, galoisSteps: [1, 2] },
    columns: storedColumns(schema).map((s) => ({ ...s, chunks: Array(chunkCount).fill(blob) })),
    policy,
    createdAt: '2026-11-21T00:00:00.000Z',
    ...overrides,
  }
  return { ...base, vaultId: vaultIdOf(base) }
}

function refusal(
  spec: unknown,
  m: VaultManifest = manifest(),
  limits?: Parameters<typeof compile>[2],
): CompileError {
  try {
    compile(parseSpec(spec), m, limits)
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError)
    return e as CompileError
  }
  throw new Error('expected the compiler to refuse')
}

const spec = (outputs: Record<string, unknown>) => ({ version: 1, outputs })

describe('compile', () => {
  it('shares stats between outputs and drops masks covered by a value factor', () => {
    const circuit = compile(
      parseSpec(spec({ m: { op: 'mean', of: 'bmi' }, v: { op: 'variance', of: 'bmi' }, n: { op: 'count' } })),
      manifest(),
    )
    expect(circuit.stats.map((s) => s.key)).toEqual(['bmi#present', 'bmi', 'bmi*bmi'])
    expect(circuit.outputs.find((o) => o.name === 'n')?.sums.n).toEqual([[RECORD_COUNT, 1]])
    expect(circuit.cost.depth).toBe(1)
    // Three stats leave alone: their totals are their constant coefficients, no rotation.
    expect(circuit.packs.map((p) => p.stats)).toEqual([[0], [1], [2]])
    expect(circuit.cost.rotations).toBe(0)
    // Packed (the layout for more than MAX_LONE_RESULTS stats): 3 stats in 4 classes, 3 rotations
    // combine the diagonals, 10 finish the sum.
    const packed = compile(
      parseSpec(spec({ m: { op: 'mean', of: 'bmi' }, v: { op: 'variance', of: 'bmi' }, n: { op: 'count' } })),
      manifest(),
      undefined,
      { maxLoneResults: 0 },
    )
    expect(packed.packs).toEqual([{ stats: [0, 1, 2], classes: 4, window: 1, level: 1 }])
    expect(packed.cost.rotations).toBe(3 + 10)
    expect(circuit.cost.estimatedMs).toBeLessThan(packed.cost.estimatedMs)
  })

  it('packs the stats of a circuit with more than MAX_LONE_RESULTS of them', () => {
    const columns = ['age', 'bmi', 'hr', 'sbp', 'smoker']
    const pairs = columns.flatMap((a, i) => columns.slice(i + 1).map((b) => [a, b]))
    const outputs = Object.fromEntries(
      pairs.map(([a, b]) => [`${a}_${b}`, { op: 'correlation', of: [a, b] }]),
    )
    const many = compile(parseSpec(spec(outputs)), manifest())
    expect(many.stats.length).toBeGreaterThan(MAX_LONE_RESULTS)
    expect(many.packs.length).toBeLessThan(many.stats.length)
    expect(many.packs.flatMap((p) => p.stats).sort((a, b) => a - b)).toEqual(many.stats.map((_, i) => i))
  })

  it('takes a 0/1 column as its own square', () => {
    const circuit = compile(parseSpec(spec({ v: { op: 'variance', of: 'smoker' } })), manifest())
    expect(circuit.stats.map((s) => s.key)).toEqual(['smoker'])
    expect(circuit.outputs[0]?.sums.tt).toEqual([[0, 1]])
  })

  it('packs stats with no level to spare for a 0/1 mask by integer masks, where their headroom allows', () => {
    const corr = parseSpec(spec({ c: { op: 'correlation', of: ['bmi', 'hr'] } }))
    // The stats with a level to spare keep their 0/1 pack here (see the next test for the default).
    const zeroOne = { preferIntegerMasks: false, maxLoneResults: 0 }
    const circuit = compile(corr, manifest(), undefined, zeroOne)
    const deep = circuit.stats.flatMap((s, i) => (s.depth === 2 ? [i] : []))
    expect(deep.length).toBeGreaterThan(1)
    const integer = circuit.packs.filter((p) => p.masks === 'integer')
    expect(integer.flatMap((p) => p.stats).sort()).toEqual(deep.sort())
    for (const p of integer)
      expect(new Set(p.stats.map((i) => circuit.stats[i]!.factors.length)).size).toBe(1)
    const packed = circuit.packs.filter((p) => p.classes > 1 && p.masks === undefined).flatMap((p) => p.stats)
    expect(packed.sort()).toEqual(circuit.stats.flatMap((s, i) => (s.depth < 2 ? [i] : [])).sort())
    // 2^18 records fill the one prime left: even two classes (up to 2.41 times a total) do not fit.
    const big = compile(corr, manifest({ recordCount: 2 ** 18 }), undefined, { maxLoneResults: 0 })
    for (const i of big.stats.flatMap((s, i) => (s.depth === 2 ? [i] : [])))
      expect(big.packs).toContainEqual({ stats: [i], classes: 1, window: 1, level: 1 })
  })

  it('packs stats with a level to spare by integer masks too where that is cheaper and splits no group', () => {
    const corr = parseSpec(spec({ c: { op: 'correlation', of: ['bmi', 'hr'] } }))
    const circuit = compile(corr, manifest(), undefined, { maxLoneResults: 0 })
    const before = compile(corr, manifest(), undefined, { preferIntegerMasks: false, maxLoneResults: 0 })
    expect(circuit.stats).toEqual(before.stats)
    // One integer pack per factor count, each at the result level: masks and window rotations over one
    // prime instead of two, no rescale.
    expect(circuit.packs.every((p) => p.masks === 'integer' && p.level === 1)).toBe(true)
    for (const p of circuit.packs)
      expect(new Set(p.stats.map((i) => circuit.stats[i]!.factors.length)).size).toBe(1)
    expect(circuit.packs.flatMap((p) => p.stats).sort()).toEqual(circuit.stats.map((_, i) => i))
    expect(circuit.cost.estimatedMs).toBeLessThan(before.cost.estimatedMs)
    // Over 100,000 records the headroom leaves integer packs 2 classes: the 0/1 pack stays.
    const many = compile(corr, manifest({ recordCount: 100_000 }), undefined, { maxLoneResults: 0 })
    expect(many.packs.some((p) => p.classes > 2 && p.masks === undefined)).toBe(true)
  })

  it('masks pairwise stats by the other column and computes depth from the factor count', () => {
    const circuit = compile(parseSpec(spec({ c: { op: 'correlation', of: ['bmi', 'hr'] } })), manifest())
    const keys = circuit.stats.map((s) => s.key)
    expect(keys).toContain('bmi#present*hr#present')
    expect(keys).toContain('bmi*hr#present')
    expect(keys).toContain('bmi*bmi*hr#present')
    expect(circuit.stats.find((s) => s.key === 'bmi*bmi*hr#present')?.depth).toBe(2)
  })

  it('is deterministic', () => {
    const s = parseSpec(
      spec({ f: { op: 'linear_model_fit', model: { weights: { age: 1, bmi: 2 }, bias: 3 }, label: 'sbp' } }),
    )
    expect(JSON.stringify(compile(s, manifest()))).toBe(JSON.stringify(compile(s, manifest())))
  })

  it('refuses ops the policy does not allow, naming the field', () => {
    const e = refusal(spec({ s: { op: 'sum', of: 'age' } }))
    expect(e.code).toBe('OP_NOT_ALLOWED')
    expect(e.field).toBe('outputs.s.op')
  })

  it('refuses specs deeper than the profile', () => {
    // A degree-2 feature in a model fit with a nullable column needs depth 3.
    const e = refusal(
      spec({
        f: { op: 'linear_model_fit', model: { weights: { 'age*bmi': 1, hr: 1 }, bias: 0 }, label: 'sbp' },
      }),
    )
    expect(e.code).toBe('DEPTH_EXCEEDED')
    expect(e.field).toBe('outputs.f')
  })

  it('accepts the same deep spec on the deep profile', () => {
    const deep = compile(
      parseSpec(
        spec({
          f: { op: 'linear_model_fit', model: { weights: { 'age*bmi': 1, hr: 1 }, bias: 0 }, label: 'sbp' },
        }),
      ),
      manifest({ profile: 'ckks-16384', slotCount: 8192 }),
    )
    expect(deep.cost.depth).toBe(3)
  })

  it('refuses every output of a vault smaller than its minimum aggregation', () => {
    const e = refusal(spec({ m: { op: 'mean', of: 'age' } }), manifest({ recordCount: 49 }))
    expect(e.code).toBe('AGGREGATION_TOO_SMALL')
    expect(e.field).toBe('outputs.m')
  })

  it('refuses specs over the cost budget', () => {
    const e = refusal(spec({ m: { op: 'variance', of: 'age' } }), manifest(), {
      maxCostMs: 1,
      maxMemoryBytes: 2 ** 40,
    })
    expect(e.code).toBe('COST_EXCEEDED')
    expect(e.field).toBe('outputs')
    const mem = refusal(spec({ m: { op: 'mean', of: 'age' } }), manifest(), {
      maxCostMs: 1e9,
      maxMemoryBytes: 1024,
    })
    expect(mem.code).toBe('COST_EXCEEDED')
    const policyCap = refusal(
      spec({ m: { op: 'mean', of: 'age' } }),
      manifest({ policy: { ...policy, maxCost: 0.001 } }),
    )
    expect(policyCap.code).toBe('COST_EXCEEDED')
  })

  it('refuses unknown columns and columns of the wrong type', () => {
    const unknown = refusal(spec({ m: { op: 'mean', of: 'weight' } }))
    expect(unknown.code).toBe('UNKNOWN_COLUMN')
    expect(unknown.field).toBe('outputs.m.of')
    const categorical = refusal(spec({ m: { op: 'mean', of: 'sex' } }))
    expect(categorical.code).toBe('COLUMN_TYPE')
    const histogram = refusal(spec({ h: { op: 'histogram', of: 'age' } }))
    expect(histogram.code).toBe('COLUMN_TYPE')
    expect(histogram.field).toBe('outputs.h.of')
  })

  it('refuses results that could overflow the decryption headroom', () => {
    // Depth-2 stats keep only the 60-bit prime: 2^19 records at most.
    const e = refusal(
      spec({ c: { op: 'correlation', of: ['bmi', 'hr'] } }),
      manifest({ recordCount: 1_000_000 }),
    )
    expect(e.code).toBe('HEADROOM_EXCEEDED')
    expect(e.field).toBe('outputs.c')
  })
  it('plans a committee vault heatmap of 4,096 cells in integer packs of at most 256 classes', () => {
    // Attack found by the pool e2e: with no cap, the planner's headroom check for one 4,096-class
    // pack is O(B^3) work, so one buyer's spec stalled every validator's compile.
    const cells = Array.from({ length: 64 }, (_, i) => `c${i}`)
    const grid: VaultSchema = {
      columns: [
        { name: 'x', type: 'categorical', categories: cells, nullable: false },
        { name: 'y', type: 'categorical', categories: cells, nullable: false },
      ],
    }
    const heatmapPolicy: Policy = { allowedOps: ['histogram2d'], minAggregation: 1, price: '0' }
    const m = manifest({
      schema: grid,
      policy: heatmapPolicy,
      columns: storedColumns(grid).map((c) => ({ ...c, chunks: [blob, blob, blob] })),
      keyHolder: { mode: 'committee', epoch: 1, keyHash: blob },
    })
    const circuit = compile(parseSpec(spec({ h: { op: 'histogram2d', of: ['x', 'y'] } })), m, {
      maxCostMs: Number.MAX_SAFE_INTEGER,
      maxMemoryBytes: Number.MAX_SAFE_INTEGER,
    })
    expect(circuit.stats.length).toBeGreaterThanOrEqual(64 * 64)
    expect(Math.max(...circuit.packs.map((p) => p.classes))).toBeLessThanOrEqual(256)
    expect(circuit.packs.flatMap((p) => p.stats).sort((a, b) => a - b)).toEqual(
      circuit.stats.map((_, i) => i),
    )
  })
})
