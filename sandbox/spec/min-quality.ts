import { QUALITY_SCALE } from '../../protocol/vocabulary.ts'
import type { AlgorithmSpec, Expect } from './schema.ts'

const fixedMinimum = (expect: Expect) => Math.round((expect.minQuality ?? 0) * QUALITY_SCALE)

/**
 * The least quality score a spec pays for, fixed-point as JobMarket records it and compares the
 * certified score against: 0 (every certified result is paid) when the spec states none.
 */
export const minQualityOf = (spec: AlgorithmSpec): number => fixedMinimum(spec.expect)

/** Whether a score in [0, 1] reaches the minimum, compared in fixed point exactly as JobMarket.settle does. */
export const reachesMinQuality = (score: number, expect: Expect): boolean =>
  Math.round(score * QUALITY_SCALE) >= fixedMinimum(expect)
