import type { Circuit, OutputPlan } from '../compiler/circuit.ts'
import {
  evaluate,
  type FinishedOutputs,
  finishOutput,
  type OutputValue,
  roundSignificant,
  type Withheld,
} from '../decrypt/finish.ts'
import { type QualityScore, qualityScore } from '../decrypt/quality.ts'
import { SandboxError } from '../errors.ts'
import { reachesMinQuality } from '../spec/min-quality.ts'
import type { Expect } from '../spec/schema.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import { accuracyOf } from './accuracy.ts'
import { discreteLaplace, scaleFraction } from './discrete-laplace.ts'
import type { PrivacyPlan, StatNoise } from './plan.ts'
import type { RandomSource } from './random.ts'

export interface ReleaseInput {
  readonly manifest: VaultManifest
  readonly circuit: Circuit
  readonly plan: PrivacyPlan
  readonly expect: Expect
  /** the exact statistics, however they were opened (owner decryption today, threshold shares later) */
  readonly stats: readonly number[]
  readonly random: RandomSource
}

export interface ReleasedResult {
  readonly finished: FinishedOutputs
  readonly quality: QualityScore
}

/**
 * The one release path: exact statistics in, differentially private
 * outputs out. Each stat is rounded to its grid and given discrete Laplace
 * noise; everything after (n, withholding, means, variances, correlations,
 * R^2, the quality score, the stated errors) is computed from the noisy
 * stats only, and every released field is rounded to a power-of-ten grid
 * a tenth of its 95% error, so neither the buyer's significantDigits nor
 * the CKKS error can show more than the noise allows.
 */
export function releaseOutputs(input: ReleaseInput): ReleasedResult {
  const { circuit, plan } = input
  if (input.stats.length !== circuit.stats.length || plan.stats.length !== circuit.stats.length) {
    throw new SandboxError(
      'RESULT_INVALID',
      `expected ${circuit.stats.length} stats and noise plans, got ${input.stats.length} and ${plan.stats.length}`,
    )
  }
  const noisy = input.stats.map((x, i) => noisyStat(x, plan.stats[i]!, input.random))
  const released = releaseNoisy({ ...input, noisy })
  const { finished, quality } = released
  // The buyer defines both the score (its expect) and the least it pays for: below that, released
  // outputs would be the data for the validators' evaluation fee alone, so only the score goes out.
  if (reachesMinQuality(quality.score, input.expect)) return released
  const withheld = `the quality score ${quality.score} is below the minimum of ${input.expect.minQuality} the buyer pays for`
  const outputs = Object.fromEntries(circuit.outputs.map((o) => [o.name, { op: o.op, withheld }]))
  return { finished: { ...finished, outputs }, quality }
}

export interface NoisyReleaseInput {
  readonly manifest: VaultManifest
  readonly circuit: Circuit
  /** the plan the noise was drawn from; its `std` and preview errors are those of the noise `noisy` carries */
  readonly plan: PrivacyPlan
  readonly expect: Expect
  /** statistics that already carry their privacy noise (owner release, or a committee's combined shares) */
  readonly noisy: number[]
}

/**
 * Everything after the noise: n, withholding, means, variances, correlations, R^2, the quality
 * score and the stated errors, from the noisy stats only. It adds no noise; it zeroes `noisy` once
 * the release is built.
 */
export function releaseNoisy(input: NoisyReleaseInput): ReleasedResult {
  const { circuit, plan, manifest, noisy } = input
  if (noisy.length !== circuit.stats.length || plan.stats.length !== circuit.stats.length) {
    throw new SandboxError(
      'RESULT_INVALID',
      `expected ${circuit.stats.length} noisy stats and noise plans, got ${noisy.length} and ${plan.stats.length}`,
    )
  }
  const minAggregation = manifest.policy.minAggregation
  const outputs: Record<string, OutputValue | Withheld> = {}
  const counts: Record<string, number> = {}
  for (const [i, output] of circuit.outputs.entries()) {
    const sum = (label: string) => evaluate(output.sums[label], noisy, circuit.recordCount)
    // Clamped to what the public record count allows: post-processing, no privacy cost.
    const n = Math.min(circuit.recordCount, Math.max(0, Math.round(sum('n'))))
    counts[output.name] = n
    const smallest = Math.min(n, ...(output.groups ?? []).map((g) => Math.round(noisy[g]!)))
    if (smallest < minAggregation) {
      outputs[output.name] = {
        op: output.op,
        withheld: `describes about ${Math.max(0, smallest)} records (with noise), fewer than the minimum of ${minAggregation}`,
      }
      continue
    }
    const out = finishOutput(output, sum, n, (v) => v, minAggregation)
    if ('withheld' in out) {
      outputs[output.name] = out
      continue
    }
    // Slopes come from the unclamped estimators (accuracy.ts), so a clamped field (a variance at 0)
    // still states its noise; and never below the preview's, which the buyer saw before paying.
    const local = accuracyOf(output, noisy, plan.stats, circuit.recordCount)
    const previewed = plan.outputs[i]?.error95 ?? {}
    const error95 = Object.fromEntries(
      Object.entries(local).map(([k, v]) => [k, Math.max(Number.isFinite(v) ? v : 0, previewed[k] ?? 0)]),
    )
    outputs[output.name] = onGrids(output, out, error95, plan.outputs[i]?.epsilon ?? 0)
  }
  const finished = { outputs, counts }
  noisy.fill(0)
  const quality = qualityScore(manifest, circuit, finished, input.expect)
  return { finished, quality }
}

/** (round(x / grid) + Laplace) * grid: the grid hides the CKKS error's low bits before the noise goes on. */
export function noisyStat(x: number, noise: StatNoise, random: RandomSource): number {
  if (!Number.isFinite(x)) throw new SandboxError('RESULT_INVALID', 'a stat decrypted to a non-number')
  if (noise.epsilon === 0) return 0
  const { t, s } = scaleFraction(noise.scale)
  return (Math.round(x / noise.grid) + Number(discreteLaplace(random, t, s))) * noise.grid
}

/** The power of ten a tenth of the error: the finest step a release shows. */
export function gridFor(error95: number, integer: boolean): number {
  if (!(error95 > 0) || !Number.isFinite(error95)) return integer ? 1 : 0
  const step = 10 ** Math.floor(Math.log10(error95 / 10))
  return integer ? Math.max(1, step) : step
}

export function toGrid(value: number, grid: number): number {
  if (grid === 0) return value
  const k = Math.round(value / grid)
  return grid >= 1 ? k * grid : Number((k * grid).toFixed(Math.round(-Math.log10(grid))))
}

function onGrids(
  output: OutputPlan,
  out: OutputValue,
  error95: Record<string, number>,
  epsilon: number,
): OutputValue {
  const digits = output.significantDigits
  const grid: Record<string, number> = {}
  const shown: Record<string, number> = {}
  const place = (field: string, value: number, integer: boolean) => {
    grid[field] = gridFor(error95[field] ?? 0, integer)
    return roundSignificant(toGrid(value, grid[field]!), digits)
  }
  // A suppressed group or quantile gets no stated error either: the error of a mean says its count.
  const suppressed = new Set(
    out.op === 'group_mean'
      ? Object.entries(out.groups).flatMap(([g, v]) => (v ? [] : [`mean:${g}`]))
      : out.op === 'quantiles'
        ? Object.entries(out.quantiles).flatMap(([q, v]) => (v === null ? [q] : []))
        : [],
  )
  for (const [k, v] of Object.entries(error95)) if (!suppressed.has(k)) shown[k] = roundSignificant(v, 2)
  const stated = { epsilon: roundSignificant(epsilon, 6), error95: shown }
  switch (out.op) {
    case 'histogram': {
      const buckets: Record<string, number | null> = {}
      for (const [label, count] of Object.entries(out.buckets))
        buckets[label] = count === null ? null : place('bucket', count, true)
      return { ...out, buckets, ...stated, grid }
    }
    case 'histogram2d': {
      const cells = out.cells.map((row) => row.map((c) => (c === null ? null : place('cell', c, true))))
      return { ...out, cells, ...stated, grid }
    }
    case 'group_mean': {
      const groups: Record<string, { mean: number; count: number } | null> = {}
      for (const [g, v] of Object.entries(out.groups))
        groups[g] = v && { mean: place(`mean:${g}`, v.mean, false), count: place('count', v.count, true) }
      return { ...out, groups, ...stated, grid }
    }
    case 'quantiles': {
      const quantiles: Record<string, number | null> = {}
      for (const [q, v] of Object.entries(out.quantiles))
        quantiles[q] = v === null ? null : place(q, v, false)
      return { ...out, quantiles, ...stated, grid }
    }
    case 'linear_model_fit':
      return {
        ...out,
        r2: place('r2', out.r2, false),
        sse: place('sse', out.sse, false),
        sst: place('sst', out.sst, false),
        rmse: place('rmse', out.rmse, false),
        ...stated,
        grid,
      }
    default:
      return { ...out, value: place('value', out.value, out.op === 'count'), ...stated, grid }
  }
}
