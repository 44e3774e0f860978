import type { OutputPlan } from '../compiler/circuit.ts'
import { evaluate, finishOutput, type OutputValue, type Withheld } from '../decrypt/finish.ts'
import type { StatNoise } from './plan.ts'

/**
 * The 95% error of a discrete Laplace sample is ln(20)/sqrt(2) of its
 * standard deviation; a sum of several is closer to Gaussian (1.96), so
 * this factor errs on the wide side.
 */
export const Z95 = Math.log(20) / Math.SQRT2

/**
 * The 95% error of each released field of an output when its stats carry
 * `noise`, by the delta method at `stats`: the field's slope along each
 * stat, taken over one noise standard deviation either side, times that
 * deviation, summed in quadrature. Computed from stats that are themselves
 * noisy (at release) or a public reference (preview), so it is
 * post-processing and reveals nothing more.
 */
export function accuracyOf(
  output: OutputPlan,
  stats: readonly number[],
  noise: readonly StatNoise[],
  recordCount: number,
): Record<string, number> {
  const read = new Set<number>()
  for (const form of Object.values(output.sums)) for (const [s] of form) if (s >= 0) read.add(s)
  if (output.op === 'histogram') {
    const stds = Object.entries(output.sums)
      .filter(([label]) => label.startsWith('bucket:'))
      .flatMap(([, form]) => form.map(([s]) => (s >= 0 ? (noise[s]?.std ?? 0) : 0)))
    return { bucket: Z95 * Math.max(0, ...stds) }
  }
  const at = (point: readonly number[]) => fieldsOf(output, point, recordCount)
  const base = at(stats)
  if (!base) return {}
  const variance: Record<string, number> = Object.fromEntries(Object.keys(base).map((k) => [k, 0]))
  for (const s of read) {
    const h = noise[s]?.std ?? 0
    if (!(h > 0) || !Number.isFinite(h)) continue
    const shifted = (d: number) => at(stats.map((v, i) => (i === s ? v + d : v)))
    const up = shifted(h)
    const down = shifted(-h)
    for (const field of Object.keys(base)) {
      const hi = up?.[field] ?? base[field]!
      const lo = down?.[field] ?? base[field]!
      const width = (up ? h : 0) + (down ? h : 0)
      if (width === 0) continue
      const slope = (hi - lo) / width
      variance[field]! += (slope * h) ** 2
    }
  }
  return Object.fromEntries(Object.entries(variance).map(([k, v]) => [k, Z95 * Math.sqrt(v)]))
}

/** The unrounded numeric fields of an output at `stats`, or undefined where it would be withheld. */
export function fieldsOf(
  output: OutputPlan,
  stats: readonly number[],
  recordCount: number,
): Record<string, number> | undefined {
  const sum = (label: string) => evaluate(output.sums[label], stats, recordCount)
  const out: OutputValue | Withheld = finishOutput(output, sum, sum('n'), (v) => v, 0)
  if ('withheld' in out) return undefined
  if ('value' in out) return Number.isFinite(out.value) ? { value: out.value } : undefined
  if ('r2' in out) return { r2: out.r2, sse: out.sse, sst: out.sst, rmse: out.rmse }
  return undefined
}
