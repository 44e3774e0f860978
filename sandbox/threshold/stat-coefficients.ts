import type { PackPlan } from '../compiler/circuit.ts'
import { ThresholdError } from './errors.ts'

/** Where one statistic sits in a result: which ciphertext, and which coefficient of its plaintext. */
export interface StatLocation {
  readonly result: number
  readonly coefficient: number
}

/**
 * Each statistic's single coefficient, for a threshold opening that reveals
 * that one number and no other part of the result. A stat alone fills every
 * slot with its total: the constant coefficient. An integer-mask pack of B
 * classes is the polynomial Σ_k S_k·M_k with M_k = X^(ks) − X^((2B−k)s),
 * s = N/(2B) = slots/B (sandbox/compiler/integer-masks.ts), and no other
 * M_j touches X^(ks): S_k is that coefficient, at the same scale as a lone
 * stat's constant, so its noise and error are in the stat's own units. A
 * 0/1 pack spreads every stat over all coefficients and has no such
 * location: refused, as the compiler never packs a committee vault that way.
 */
export function statLocations(
  packs: readonly PackPlan[],
  statCount: number,
  slotCount: number,
): StatLocation[] {
  const out: Array<StatLocation | undefined> = new Array(statCount).fill(undefined)
  packs.forEach((pack, result) => {
    if (pack.classes > 1 && pack.masks !== 'integer') {
      throw new ThresholdError(
        'PARAMS_INVALID',
        `packs[${result}]`,
        'packs by 0/1 masks: no statistic of it is one coefficient',
      )
    }
    if (slotCount % pack.classes !== 0 || pack.stats.length > pack.classes) {
      throw new ThresholdError(
        'PARAMS_INVALID',
        `packs[${result}]`,
        `${pack.stats.length} stats in ${pack.classes} classes of ${slotCount} slots`,
      )
    }
    const spacing = slotCount / pack.classes
    pack.stats.forEach((stat, k) => {
      if (!Number.isInteger(stat) || stat < 0 || stat >= statCount || out[stat]) {
        throw new ThresholdError('PARAMS_INVALID', `packs[${result}].stats[${k}]`, `is stat ${stat}`)
      }
      out[stat] = { result, coefficient: k * spacing }
    })
  })
  return out.map((loc, i) => {
    if (!loc) throw new ThresholdError('PARAMS_INVALID', `stats[${i}]`, 'is in no pack')
    return loc
  })
}
