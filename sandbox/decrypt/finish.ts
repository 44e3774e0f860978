import { type Circuit, type LinearForm, type OutputPlan, RECORD_COUNT } from '../compiler/circuit.ts'
import { SandboxError } from '../errors.ts'

/**
 * What a differentially private release states about an output's accuracy:
 * the epsilon it spent, the 95% error of each released field and the grid
 * each was rounded to. Field names are those of the output (`value`, `r2`,
 * `sse`, `sst`, `rmse`), or `bucket` for every bucket of a histogram.
 */
export interface Accuracy {
  readonly epsilon?: number | undefined
  readonly error95?: Readonly<Record<string, number>> | undefined
  readonly grid?: Readonly<Record<string, number>> | undefined
}

/** Ops whose result is not one number. */
export type StructuredOp = 'histogram' | 'linear_model_fit' | 'histogram2d' | 'group_mean' | 'quantiles'

/**
 * A released output: the statistic, rounded, with the records it describes.
 * Counts and groups under the minimum aggregation are null (suppressed).
 */
export type OutputValue = Accuracy &
  (
    | {
        readonly op: Exclude<OutputPlan['op'], StructuredOp>
        readonly value: number
        readonly n: number
      }
    | {
        readonly op: 'histogram'
        readonly buckets: Readonly<Record<string, number | null>>
        readonly n: number
      }
    | {
        readonly op: 'histogram2d'
        /** the first column's categories, the second's, and cells[row][column] */
        readonly rows: readonly string[]
        readonly columns: readonly string[]
        readonly cells: ReadonlyArray<ReadonlyArray<number | null>>
        readonly n: number
      }
    | {
        readonly op: 'group_mean'
        readonly groups: Readonly<Record<string, { readonly mean: number; readonly count: number } | null>>
        readonly n: number
      }
    | {
        readonly op: 'quantiles'
        /** by quantile, as written in the spec (`0.5`) */
        readonly quantiles: Readonly<Record<string, number | null>>
        readonly n: number
      }
    | {
        readonly op: 'linear_model_fit'
        readonly r2: number
        readonly sse: number
        readonly sst: number
        readonly rmse: number
        readonly n: number
      }
  )

export interface Withheld {
  readonly op: OutputPlan['op']
  readonly withheld: string
}

export interface FinishedOutputs {
  readonly outputs: Readonly<Record<string, OutputValue | Withheld>>
  /** records aggregated per output, before rounding: the quality score reads these */
  readonly counts: Readonly<Record<string, number>>
}

/**
 * Turns decrypted stats into the buyer's outputs: divisions, square roots
 * and R^2 in plaintext on the key holder's side, then rounding to the
 * declared significant digits (an exact CKKS decryption would leak the
 * error term, from which the secret key can be recovered). Groups smaller
 * than the vault's minimum aggregation are withheld, never released.
 */
export function finish(circuit: Circuit, stats: readonly number[], minAggregation: number): FinishedOutputs {
  if (stats.length !== circuit.stats.length) {
    throw new SandboxError('RESULT_INVALID', `expected ${circuit.stats.length} stats, got ${stats.length}`)
  }
  const outputs: Record<string, OutputValue | Withheld> = {}
  const counts: Record<string, number> = {}
  for (const plan of circuit.outputs) {
    const sum = (label: string): number => evaluate(plan.sums[label], stats, circuit.recordCount)
    const n = Math.round(sum('n'))
    counts[plan.name] = n
    const round = (v: number) => roundSignificant(v, plan.significantDigits)
    if (n < minAggregation) {
      outputs[plan.name] = {
        op: plan.op,
        withheld: `describes ${n} records, fewer than the minimum of ${minAggregation}`,
      }
      continue
    }
    outputs[plan.name] = finishOutput(plan, sum, n, round, minAggregation)
  }
  return { outputs, counts }
}

/**
 * One output from its sums (exact or noisy), rounded by `round`; what the release and its accuracy
 * share. `n` is the record count the output states and its withholding judges (rounded, and in a
 * release clamped to the public record count). Every ratio divides by the count sum itself,
 * unrounded: a sum of a column off the centre of its range carries centre × that count sum (the
 * compiler's affine map), which only that divisor cancels. Divided by a rounded or clamped count,
 * a noisy release's mean moved by centre × (count sum - n) / n, outside its stated error.
 *
 * `clamped` false gives the estimators before their clamps to what the truth can be (a variance or
 * an SSE at least 0, a correlation within ±1; a square root taken with its sign): what the stated
 * error reads slopes from. A clamp only moves a value towards the truth's range, so the
 * unclamped estimator's error bounds the released one's; its slope at a clamped point is not flat.
 */
export function finishOutput(
  plan: OutputPlan,
  sum: (label: string) => number,
  n: number,
  round: (v: number) => number,
  minAggregation: number,
  clamped = true,
): OutputValue | Withheld {
  const records = sum('n')
  const atLeast0 = (v: number) => (clamped ? Math.max(0, v) : v)
  const root = (v: number) => (clamped ? Math.sqrt(Math.max(0, v)) : Math.sign(v) * Math.sqrt(Math.abs(v)))
  const centered = (a: string, b: string, ab: string) => sum(ab) - (sum(a) * sum(b)) / records
  switch (plan.op) {
    case 'count':
      return { op: plan.op, value: n, n }
    case 'sum':
      return { op: plan.op, value: round(sum('t')), n }
    case 'mean':
      return { op: plan.op, value: round(sum('t') / records), n }
    case 'weighted_sum':
      return { op: plan.op, value: round(sum('w')), n }
    case 'variance':
    case 'stddev': {
      if (n < 2) return { op: plan.op, withheld: 'needs at least 2 records' }
      const variance = centered('t', 't', 'tt') / (records - 1)
      return { op: plan.op, value: round(plan.op === 'variance' ? atLeast0(variance) : root(variance)), n }
    }
    case 'covariance':
    case 'correlation': {
      if (n < 2) return { op: plan.op, withheld: 'needs at least 2 records' }
      const cov = centered('t', 'u', 'tu')
      if (plan.op === 'covariance') return { op: plan.op, value: round(cov / (records - 1)), n }
      const denominator = Math.sqrt(
        Math.max(0, centered('t', 't', 'tt')) * Math.max(0, centered('u', 'u', 'uu')),
      )
      if (denominator === 0) return { op: plan.op, withheld: 'a column is constant over these records' }
      const r = cov / denominator
      return { op: plan.op, value: round(clamped ? Math.max(-1, Math.min(1, r)) : r), n }
    }
    case 'histogram': {
      const buckets: Record<string, number | null> = {}
      for (const category of plan.categories ?? [])
        buckets[category] = suppressed(sum(`bucket:${category}`), minAggregation)
      return { op: plan.op, buckets, n }
    }
    case 'histogram2d': {
      const rows = plan.categories ?? []
      const columns = plan.crossCategories ?? []
      const cells = rows.map((_, i) =>
        columns.map((_, j) => suppressed(sum(`cell:${i},${j}`), minAggregation)),
      )
      return { op: plan.op, rows, columns, cells, n }
    }
    case 'group_mean': {
      const groups: Record<string, { mean: number; count: number } | null> = {}
      for (const group of plan.categories ?? []) {
        const counted = sum(`count:${group}`)
        const count = Math.round(counted)
        const filtered = plan.sums[`filtered:${group}`] ? Math.round(sum(`filtered:${group}`)) : count
        // Unlike a count, a mean of an empty group is no number at all: under the minimum, nothing is said.
        groups[group] =
          Math.min(count, filtered) < Math.max(1, minAggregation)
            ? null
            : { mean: round(sum(`sum:${group}`) / counted), count }
      }
      return { op: plan.op, groups, n }
    }
    case 'quantiles':
      return { op: plan.op, quantiles: quantilesOf(plan, sum, n, round, minAggregation), n }
    case 'linear_model_fit': {
      if (n < 2) return { op: plan.op, withheld: 'needs at least 2 records' }
      const sse = atLeast0(sum('e2'))
      const sst = Math.max(0, centered('y', 'y', 'yy'))
      if (sst === 0) return { op: plan.op, withheld: 'the label is constant over these records' }
      return {
        op: plan.op,
        r2: round(1 - sse / sst),
        sse: round(sse),
        sst: round(sst),
        rmse: round(root(sse / records)),
        n,
      }
    }
  }
}

/** A count as released: 0 stays 0 (an empty cell says nothing about anyone), under the minimum is null. */
function suppressed(value: number, minAggregation: number): number | null {
  const count = Math.max(0, Math.round(value))
  return count === 0 || count >= minAggregation ? count : null
}

/**
 * Quantiles from bucket counts: the bucket where the cumulative count
 * reaches q·total, and the point within it at the same share of its count
 * (records taken as spread evenly over the bucket). Null where fewer than
 * the minimum aggregation of records would lie on one side.
 */
function quantilesOf(
  plan: OutputPlan,
  sum: (label: string) => number,
  n: number,
  round: (v: number) => number,
  minAggregation: number,
): Record<string, number | null> {
  const labels = plan.categories ?? []
  const edges = plan.edges ?? []
  const counts = labels.map((label) => Math.max(0, sum(`bucket:${label}`)))
  const total = counts.reduce((a, b) => a + b, 0)
  const out: Record<string, number | null> = {}
  for (const q of plan.quantiles ?? []) {
    if (total <= 0 || Math.min(q, 1 - q) * n < minAggregation) {
      out[String(q)] = null
      continue
    }
    const target = q * total
    let below = 0
    let k = 0
    while (k < counts.length - 1 && below + counts[k]! < target) below += counts[k++]!
    const within = counts[k]! > 0 ? Math.min(1, Math.max(0, (target - below) / counts[k]!)) : 0.5
    out[String(q)] = round(edges[k]! + within * (edges[k + 1]! - edges[k]!))
  }
  return out
}

export function evaluate(
  form: LinearForm | undefined,
  stats: readonly number[],
  recordCount: number,
): number {
  if (!form) throw new SandboxError('RESULT_INVALID', 'the circuit lacks a sum its output needs')
  let total = 0
  for (const [index, coef] of form) total += coef * (index === RECORD_COUNT ? recordCount : stats[index]!)
  return total
}

export function roundSignificant(value: number, digits: number): number {
  if (value === 0 || !Number.isFinite(value)) return value
  return Number(value.toPrecision(digits))
}
