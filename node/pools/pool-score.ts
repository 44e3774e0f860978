import type { Expect, QualityScore } from '../../sandbox/index.ts'
import type { PoolSnapshot } from './pool-log.ts'

const FIXED = 1e6
const fixed = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * FIXED) / FIXED

/**
 * The quality score of a job on a pool snapshot, from the snapshot's public counts alone, so that
 * no statistic of the aggregate is opened to the committee (phase 1 of the release opens nothing,
 * and nothing is charged twice). A pool's unit is the contributor, so `expect.minRecords` counts
 * contributors here; the other components judge opened values, of which there are none, and are 1.
 * Deterministic: every validator reads the same log.
 */
export function poolScore(snapshot: Pick<PoolSnapshot, 'counts'>, expect: Expect): QualityScore {
  const contributors = snapshot.counts.size
  const wanted = expect.minRecords ?? 1
  const sampleSize = fixed(Math.min(1, contributors / wanted))
  const components = { sampleSize, completeness: 1, plausibility: 1, fitness: 1 }
  return {
    score: fixed(sampleSize ** (1 / 4)),
    components,
    details: [
      `sample size: ${contributors} contributors in the snapshot, ${wanted} expected`,
      'completeness, plausibility, fitness: a pool job opens no statistic before the release (1)',
    ],
  }
}
