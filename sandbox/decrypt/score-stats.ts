import { type Circuit, type OutputPlan, RECORD_COUNT } from '../compiler/circuit.ts'
import { SandboxError } from '../errors.ts'
import type { Expect } from '../spec/schema.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import { finish } from './finish.ts'
import { type QualityScore, qualityScore } from './quality.ts'

/**
 * The statistics the quality score reads, ascending: every output's record count (sample size,
 * completeness), and all sums of the outputs whose value the score judges: those with an expected
 * range, the moments of one declared numeric column (checked against its range), and model fits
 * (R^2). This is what a committee opens to itself on a threshold vault; every other statistic is
 * opened only by the buyer.
 */
export function scoreStats(
  circuit: Pick<Circuit, 'outputs' | 'stats'>,
  manifest: VaultManifest,
  expect: Expect,
): number[] {
  const columns = new Map(manifest.schema.columns.map((c) => [c.name, c]))
  const judged = (o: OutputPlan): boolean => {
    if (o.op === 'linear_model_fit' || expect.ranges?.[o.name] !== undefined) return true
    const column = o.over.length === 1 ? columns.get(o.over[0]!) : undefined
    return (
      column !== undefined &&
      (column.type === 'number' || column.type === 'integer') &&
      (o.op === 'mean' || o.op === 'stddev' || o.op === 'variance')
    )
  }
  const picked = new Set<number>()
  for (const o of circuit.outputs) {
    const forms = judged(o) ? Object.values(o.sums) : [o.sums.n]
    for (const form of forms) for (const [index] of form ?? []) if (index !== RECORD_COUNT) picked.add(index)
  }
  return [...picked].sort((a, b) => a - b)
}

/**
 * The score from the statistics `scoreStats` names alone (`opened[k]` is statistic
 * `indices[k]`): the others are zero and no part of the score reads them. Deterministic in its
 * inputs, so every validator combining the same shares gets the same score.
 */
export function scoreFromStats(
  manifest: VaultManifest,
  circuit: Circuit,
  expect: Expect,
  indices: readonly number[],
  opened: readonly number[],
): QualityScore {
  if (indices.length !== opened.length) {
    throw new SandboxError(
      'RESULT_INVALID',
      `${opened.length} opened statistics for ${indices.length} indices`,
    )
  }
  const stats = new Array<number>(circuit.stats.length).fill(0)
  indices.forEach((index, k) => {
    if (!Number.isFinite(opened[k]!))
      throw new SandboxError('RESULT_INVALID', `statistic ${index} opened to a non-number`)
    stats[index] = opened[k]!
  })
  return qualityScore(manifest, circuit, finish(circuit, stats, manifest.policy.minAggregation), expect)
}
