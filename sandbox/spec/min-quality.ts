import { QUALITY_SCALE } from '../../protocol/vocabulary.ts'
import type { AlgorithmSpec } from './schema.ts'

/**
 * The least quality score a spec pays for, fixed-point as JobMarket records it and compares the
 * certified score against: 0 (every certified result is paid) when the spec states none.
 */
export const minQualityOf = (spec: AlgorithmSpec): number =>
  Math.round((spec.expect.minQuality ?? 0) * QUALITY_SCALE)
