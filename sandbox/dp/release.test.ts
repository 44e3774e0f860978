import { describe, expect, it } from 'vitest'
import { compile } from '../compiler/compile.ts'
import { roundSignificant } from '../decrypt/finish.ts'
import { CompileError } from '../errors.ts'
import { parseSpec } from '../spec/parse.ts'
import { testManifest } from '../testing/manifest.ts'
import { SeededRandom } from '../testing/seeded-random.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import type { Policy } from '../vault/policy.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { planPrivacy } from './plan.ts'
import type { RandomSource } from './random.ts'
import { releaseOutputs } from './release.ts'

const schema: VaultSchema = {
  columns: [
    { name: 'hr', type: 'integer', min: 40, max: 120, nullable: true },
    { name: 'sbp', type: 'integer', min: 80, max: 220, nullable: false },
    { name: 'smoker', type: 'boolean', nullable: false },
  ],
}
function manifest(recordCount: number, policy: Partial<Policy> = {}): VaultManifest {
  return testManifest(schema, recordCount, {
    allowedOps: ['mean', 'sum', 'weighted_sum', 'count', 'variance'],
    minAggregation: 10,
    price: '0',
    ...policy,
  })
}

describe('planPrivacy', () => {
  it('spends the per-job limit by default, split over outputs and their stats', () => {
    const m = manifest(1000)
    const spec = parseSpec({
      version: 1,
      outputs: { a: { op: 'mean', of: 'hr' }, b: { op: 'sum', of: 'sbp' }, c: { op: 'count' } },
    })
    const plan = planPrivacy(spec, compile(spec, m), m)
    expect(plan.epsilon).toBeCloseTo(1, 12)
    expect(plan.epsilonMicros).toBe(1_000_000)
    // count of all records reads only the public record count: it spends nothing
    expect(plan.outputs.map((o) => o.epsilon)).toEqual([0.5, 0.5, 0])
    expect(plan.outputs[2]!.error95).toEqual({ value: 0 })
    // mean(hr) reads Σ hr#present (a count, sensitivity 1) and Σ hr (signed, 2); its 0.5 goes mostly
    // where the mean is most sensitive to noise, Σ hr; sum(sbp) reads one stat and gets all of its 0.5
    expect(plan.stats.map((s) => s.sensitivity)).toEqual([1, 2, 2])
    const [mask, hr, sbp] = plan.stats.map((s) => s.epsilon)
    expect(mask! + hr!).toBeCloseTo(0.5, 12)
    expect(hr!).toBeGreaterThan(mask!)
    expect(sbp).toBeCloseTo(0.5, 12)
    // one record replaced moves a stat by 64 grid steps, +1 for rounding, +1 for the CKKS error
    expect(plan.stats[0]!.steps).toBe(66)
    expect(plan.stats[2]!.scale).toBeCloseTo(66 / 0.5, 9)
  })

  it('takes per-output epsilons within the policy and refuses more', () => {
    const m = manifest(1000, { privacy: { epsilon: 5, maxEpsilonPerJob: 2, unit: 'record' } })
    const ok = parseSpec({ version: 1, outputs: { a: { op: 'mean', of: 'hr', epsilon: 0.3 } } })
    expect(planPrivacy(ok, compile(ok, m), m).epsilon).toBeCloseTo(0.3, 12)
    const tooMuch = parseSpec({
      version: 1,
      outputs: { a: { op: 'mean', of: 'hr', epsilon: 1.5 }, b: { op: 'sum', of: 'sbp', epsilon: 1 } },
    })
    expect(() => planPrivacy(tooMuch, compile(tooMuch, m), m)).toThrow(
      expect.objectContaining({ code: 'EPSILON_EXCEEDED' }),
    )
    const noneLeft = parseSpec({
      version: 1,
      outputs: { a: { op: 'mean', of: 'hr', epsilon: 2 }, b: { op: 'sum', of: 'sbp' } },
    })
    expect(() => planPrivacy(noneLeft, compile(noneLeft, m), m)).toThrow(CompileError)
  })

  it('states more error for less epsilon and less for more records', () => {
    const spec = (epsilon: number) =>
      parseSpec({ version: 1, outputs: { a: { op: 'mean', of: 'sbp', epsilon } } })
    const at = (records: number, epsilon: number) => {
      const m = manifest(records)
      return planPrivacy(spec(epsilon), compile(spec(epsilon), m), m).outputs[0]!.error95.value!
    }
    expect(at(1000, 0.1)).toBeGreaterThan(5 * at(1000, 1))
    expect(at(100_000, 1)).toBeLessThan(at(1000, 1) / 50)
  })
})

describe('the compiler against disguised selections', () => {
  it('refuses zero weights', () => {
    const m = manifest(1000)
    const spec = parseSpec({ version: 1, outputs: { w: { op: 'weighted_sum', weights: { sbp: 1, hr: 0 } } } })
    expect(() => compile(spec, m)).toThrow(
      expect.objectContaining({ code: 'ZERO_WEIGHT', field: 'outputs.w.weights.hr' }),
    )
  })

  it('counts the records a boolean factor filters as a group of its own', () => {
    const m = manifest(1000)
    const spec = parseSpec({ version: 1, outputs: { s: { op: 'sum', of: 'smoker*sbp' } } })
    const circuit = compile(spec, m)
    const groups = circuit.outputs[0]!.groups ?? []
    expect(groups.map((g) => circuit.stats[g]!.key)).toEqual(['smoker'])
  })

  it('does not count a boolean that only some stats of a sum carry as a filter', () => {
    const m = manifest(1000)
    const spec = parseSpec({
      version: 1,
      outputs: { w: { op: 'weighted_sum', weights: { sbp: 1, smoker: 2 } } },
    })
    expect(compile(spec, m).outputs[0]!.groups).toBeUndefined()
  })
})

describe('releaseOutputs', () => {
  // mean(sbp) and sum(smoker*sbp) over 1000 records: exact stats as the decryptor would give them.
  const m = manifest(1000)
  const spec = parseSpec({
    version: 1,
    outputs: { mean: { op: 'mean', of: 'sbp', significantDigits: 12 }, few: { op: 'sum', of: 'smoker*sbp' } },
  })
  const circuit = compile(spec, m)
  const plan = planPrivacy(spec, circuit, m)
  const truth: Record<string, number> = { sbp: 0.1 * 1000, smoker: 3, 'sbp*smoker': 3 * 0.5 }
  const stats = circuit.stats.map((s) => truth[s.key]!)
  const trueMean = 150 + 70 * 0.1
  const release = (random: RandomSource) =>
    releaseOutputs({ manifest: m, circuit, plan, expect: {}, stats, random }).finished

  it('keeps each released value within its stated 95% error about 95% of the time', () => {
    const random = new SeededRandom('release')
    let inside = 0
    const runs = 400
    for (let i = 0; i < runs; i++) {
      const finished = release(random)
      const out = finished.outputs.mean!
      if (!('value' in out)) throw new Error('mean withheld')
      if (Math.abs(out.value - trueMean) <= out.error95!.value!) inside++
    }
    expect(inside / runs).toBeGreaterThan(0.9)
    expect(inside / runs).toBeLessThan(1)
  })

  it('keeps a mean of a nullable column within its error where the noisy count passes the record count', () => {
    // Every hr present (its count sum is the record count, so its noise crosses it half the time) and
    // the mean off the centre of hr's range (72 of [40, 120]): the numerator carries 80 × the count sum.
    const spec = parseSpec({ version: 1, outputs: { hr: { op: 'mean', of: 'hr' } } })
    const c = compile(spec, m)
    const p = planPrivacy(spec, c, m)
    const exact = c.stats.map((s) => (s.key === 'hr' ? -0.2 * 1000 : 1000))
    const random = new SeededRandom('nullable mean')
    let beyond = 0
    const runs = 400
    for (let i = 0; i < runs; i++) {
      const out = releaseOutputs({ manifest: m, circuit: c, plan: p, expect: {}, stats: exact, random })
        .finished.outputs.hr!
      if (!('value' in out)) throw new Error('mean withheld')
      if (Math.abs(out.value - 72) > out.error95!.value!) beyond++
    }
    console.log(`owner mode, mean of a nullable column: ${beyond} of ${runs} beyond the stated 95% error`)
    expect(beyond / runs).toBeLessThan(0.09)
  })

  it('puts values on a grid a tenth of their error, whatever significantDigits asks', () => {
    const finished = release(new SeededRandom('grid'))
    const out = finished.outputs.mean!
    if (!('value' in out)) throw new Error('mean withheld')
    const grid = out.grid!.value!
    expect(grid).toBeLessThanOrEqual(out.error95!.value! / 10)
    expect(grid).toBeGreaterThan(out.error95!.value! / 100)
    expect(Math.abs(out.value / grid - Math.round(out.value / grid))).toBeLessThan(1e-6)
  })

  it('never states less error than the preview, even where a clamp flattens the field', () => {
    const spec = parseSpec({
      version: 1,
      outputs: { v: { op: 'variance', of: 'sbp' } },
    })
    const c = compile(spec, m)
    const p = planPrivacy(spec, c, m)
    // Σ sbp^2 below (Σ sbp)^2 / n: a negative centred sum, clamped to variance 0, where the slope is 0.
    const exact = c.stats.map((s) => (s.key === 'sbp' ? 300 : 0))
    const out = releaseOutputs({
      manifest: m,
      circuit: c,
      plan: p,
      expect: {},
      stats: exact,
      random: new SeededRandom('flat'),
    }).finished.outputs.v!
    if (!('value' in out)) throw new Error('variance withheld')
    expect(out.error95!.value).toBeGreaterThanOrEqual(
      roundSignificant(p.outputs[0]!.error95.value!, 2) * 0.99,
    )
    expect(out.error95!.value).toBeGreaterThan(0)
  })

  it('withholds an output whose boolean filter selects fewer records than the minimum', () => {
    const finished = release(new SeededRandom('few'))
    expect(finished.outputs.few).toMatchObject({
      withheld: expect.stringMatching(/fewer than the minimum of 10/),
    })
  })

  /**
   * Finding: the buyer defines the quality score (its `expect`) and the minimum it pays for. A buyer
   * who expects a million records of a 1,000-record vault and pays only for a score of 0.99 is
   * certain to be refunded less the validators' fee; if the release still carries the outputs, the
   * buyer has the data for the fee and the owner nothing. Below the minimum only the score goes out.
   */
  it('attack: releases no output of a job scored below the minimum quality its buyer pays for', () => {
    const unreachable = { minRecords: 1_000_000, minQuality: 0.99 }
    const low = releaseOutputs({
      manifest: m,
      circuit,
      plan,
      expect: unreachable,
      stats,
      random: new SeededRandom('q'),
    })
    expect(low.quality.score).toBeLessThan(0.99)
    for (const out of Object.values(low.finished.outputs)) {
      expect(out).toMatchObject({ withheld: expect.stringMatching(/below the minimum of 0\.99/) })
    }
    // The same job with no minimum, or one its score reaches, releases as before.
    for (const expectations of [
      { minRecords: 1_000_000 },
      { minRecords: 1_000_000, minQuality: low.quality.score },
    ]) {
      const paid = releaseOutputs({
        manifest: m,
        circuit,
        plan,
        expect: expectations,
        stats,
        random: new SeededRandom('q'),
      })
      expect(paid.finished.outputs.mean).toHaveProperty('value')
    }
  })
})
