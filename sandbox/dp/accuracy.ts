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
  // A released count is one noisy stat: its error is that stat's noise, the widest of the output's.
  const countError = (prefix: string) =>
    Z95 *
    Math.max(
      0,
      ...Object.entries(output.sums)
        .filter(([label]) => label.startsWith(prefix))
        .flatMap(([, form]) => form.map(([s]) => (s >= 0 ? (noise[s]?.std ?? 0) : 0))),
    )
  if (output.op === 'histogram') return { bucket: countError('bucket:') }
  if (output.op === 'histogram2d') return { cell: countError('cell:') }
  const at = (point: readonly number[]) => fieldsOf(output, point, recordCount)
  const base = at(stats)
  if (!base) return output.op === 'group_mean' ? { count: countError('count:') } : {}
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
  const error95 = Object.fromEntries(Object.entries(variance).map(([k, v]) => [k, Z95 * Math.sqrt(v)]))
  if (output.op === 'group_mean') error95.count = countError('count:')
  // Interpolation takes a bucket's records as spread evenly: the true quantile may lie anywhere in its bucket.
  if (output.op === 'quantiles')
    for (const q of Object.keys(error95)) error95[q]! += bucketWidthAt(output, base[q]!)
  return error95
}

/** The width of the bucket `value` lies in (the wider of two where it sits on an edge). */
function bucketWidthAt(output: OutputPlan, value: number): number {
  const edges = output.edges ?? []
  let width = 0
  for (let k = 0; k + 1 < edges.length; k++) {
    if (value >= edges[k]! && value <= edges[k + 1]!) width = Math.max(width, edges[k + 1]! - edges[k]!)
  }
  return width
}

/** The unrounded numeric fields of an output at `stats`, or undefined where it would be withheld. */
export function fieldsOf(
  output: OutputPlan,
  stats: readonly number[],
  recordCount: number,
): Record<string, number> | undefined {
  const sum = (label: string) => evaluate(output.sums[label], stats, recordCount)
  // Unclamped: at a released value its clamp holds at (a variance of 0), the slope is still there.
  const out: OutputValue | Withheld = finishOutput(output, sum, sum('n'), (v) => v, 0, false)
  if ('withheld' in out) return undefined
  if ('value' in out) return Number.isFinite(out.value) ? { value: out.value } : undefined
  if ('r2' in out) return { r2: out.r2, sse: out.sse, sst: out.sst, rmse: out.rmse }
  if (out.op === 'group_mean') {
    const means = Object.entries(out.groups).flatMap(([g, v]) => (v ? [[`mean:${g}`, v.mean] as const] : []))
    return means.length > 0 ? Object.fromEntries(means) : undefined
  }
  if (out.op === 'quantiles') {
    const values = Object.entries(out.quantiles).flatMap(([q, v]) => (v === null ? [] : [[q, v] as const]))
    return values.length > 0 ? Object.fromEntries(values) : undefined
  }
  return undefined
}
