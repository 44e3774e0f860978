import { describe, expect, it } from 'vitest'
import { compile } from '../compiler/compile.ts'
import { parseSpec } from '../spec/parse.ts'
import { testManifest } from '../testing/manifest.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { finish } from './finish.ts'
import { qualityScore } from './quality.ts'

const schema: VaultSchema = {
  columns: [
    { name: 'hr', type: 'integer', min: 40, max: 120, nullable: true },
    { name: 'sbp', type: 'integer', min: 80, max: 220, nullable: false },
  ],
}
function manifest(recordCount: number): VaultManifest {
  return testManifest(schema, recordCount, {
    allowedOps: ['mean', 'linear_model_fit'],
    minAggregation: 10,
    price: '0',
  })
}

const spec = parseSpec({
  version: 1,
  outputs: { m: { op: 'mean', of: 'hr' } },
  expect: { minRecords: 1000, maxMissingRate: 0.05, ranges: { m: [50, 90] } },
})

/** Stats in circuit order for mean(hr): [Σ hr#present, Σ hr] with hr stored as (v - 80) / 40. */
function statsFor(present: number, meanHr: number): number[] {
  return [present, (present * (meanHr - 80)) / 40]
}

describe('qualityScore', () => {
  it('is 1 when every expectation is met', () => {
    const m = manifest(2000)
    const circuit = compile(spec, m)
    const q = qualityScore(m, circuit, finish(circuit, statsFor(1980, 70), 10), spec.expect)
    expect(q.score).toBe(1)
    expect(q.components).toEqual({ sampleSize: 1, completeness: 1, plausibility: 1, fitness: 1 })
  })

  it('shows which component fails, in fixed point', () => {
    const m = manifest(600)
    const circuit = compile(spec, m)
    // 500 of 600 present (16.7% missing), 500 of 1000 wanted, mean outside the expected range.
    const q = qualityScore(m, circuit, finish(circuit, statsFor(500, 95), 10), spec.expect)
    expect(q.components.sampleSize).toBe(0.5)
    expect(q.components.completeness).toBeCloseTo(1 - (1 / 6 - 0.05) / 0.95, 6)
    // Two checks: the expected range fails, the declared column range [40, 120] holds.
    expect(q.components.plausibility).toBe(0.5)
    const c = q.components.completeness
    expect(q.score).toBeCloseTo((0.5 * c * 0.5 * 1) ** 0.25, 6)
    expect(q.details.join('\n')).toMatch(/m = 95 outside the expected \[50, 90\]/)
    expect(Number.isInteger(q.components.completeness * 1e6)).toBe(true)
  })

  it('withholds outputs over fewer records than the minimum aggregation', () => {
    const m = manifest(600)
    const circuit = compile(spec, m)
    const finished = finish(circuit, statsFor(9, 70), 10)
    expect(finished.outputs.m).toMatchObject({
      withheld: expect.stringMatching(/fewer than the minimum of 10/),
    })
  })
})
