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

/** A released output: the statistic, rounded, with the records it describes. */
export type OutputValue = Accuracy &
  (
    | {
        readonly op: Exclude<OutputPlan['op'], 'histogram' | 'linear_model_fit'>
        readonly value: number
        readonly n: number
      }
    | {
        readonly op: 'histogram'
        readonly buckets: Readonly<Record<string, number | null>>
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

/** One output from its sums (exact or noisy), rounded by `round`; what the release and its accuracy share. */
export function finishOutput(
  plan: OutputPlan,
  sum: (label: string) => number,
  n: number,
  round: (v: number) => number,
  minAggregation: number,
): OutputValue | Withheld {
  const centered = (a: string, b: string, ab: string) => sum(ab) - (sum(a) * sum(b)) / n
  switch (plan.op) {
    case 'count':
      return { op: plan.op, value: n, n }
    case 'sum':
      return { op: plan.op, value: round(sum('t')), n }
    case 'mean':
      return { op: plan.op, value: round(sum('t') / n), n }
    case 'weighted_sum':
      return { op: plan.op, value: round(sum('w')), n }
    case 'variance':
    case 'stddev': {
      if (n < 2) return { op: plan.op, withheld: 'needs at least 2 records' }
      const variance = Math.max(0, centered('t', 't', 'tt') / (n - 1))
      return { op: plan.op, value: round(plan.op === 'variance' ? variance : Math.sqrt(variance)), n }
    }
    case 'covariance':
    case 'correlation': {
      if (n < 2) return { op: plan.op, withheld: 'needs at least 2 records' }
      const cov = centered('t', 'u', 'tu')
      if (plan.op === 'covariance') return { op: plan.op, value: round(cov / (n - 1)), n }
      const denominator = Math.sqrt(
        Math.max(0, centered('t', 't', 'tt')) * Math.max(0, centered('u', 'u', 'uu')),
      )
      if (denominator === 0) return { op: plan.op, withheld: 'a column is constant over these records' }
      return { op: plan.op, value: round(Math.max(-1, Math.min(1, cov / denominator))), n }
    }
    case 'histogram': {
      const buckets: Record<string, number | null> = {}
      for (const category of plan.categories ?? []) {
        const count = Math.max(0, Math.round(sum(`bucket:${category}`)))
        // A bucket smaller than the minimum aggregation is suppressed (but
        // an empty one says nothing about anyone).
        buckets[category] = count === 0 || count >= minAggregation ? count : null
      }
      return { op: plan.op, buckets, n }
    }
    case 'linear_model_fit': {
      if (n < 2) return { op: plan.op, withheld: 'needs at least 2 records' }
      const sse = Math.max(0, sum('e2'))
      const sst = Math.max(0, centered('y', 'y', 'yy'))
      if (sst === 0) return { op: plan.op, withheld: 'the label is constant over these records' }
      return {
        op: plan.op,
        r2: round(1 - sse / sst),
        sse: round(sse),
        sst: round(sst),
        rmse: round(Math.sqrt(sse / n)),
        n,
      }
    }
  }
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
