import { describe, expect, it } from 'vitest'
import type { PackPlan } from '../compiler/circuit.ts'
import { ThresholdError } from './errors.ts'
import { statLocations } from './stat-coefficients.ts'

const alone = (i: number): PackPlan => ({ stats: [i], classes: 1, window: 1, level: 2 })

describe('statLocations', () => {
  it('puts a lone stat at the constant coefficient and the k-th stat of an integer pack at k·slots/B', () => {
    const packs: PackPlan[] = [
      alone(2),
      { stats: [0, 3, 1], classes: 4, window: 1, level: 2, masks: 'integer' },
    ]
    expect(statLocations(packs, 4, 4096)).toEqual([
      { result: 1, coefficient: 0 },
      { result: 1, coefficient: 2048 },
      { result: 0, coefficient: 0 },
      { result: 1, coefficient: 1024 },
    ])
  })

  it('refuses a 0/1 pack, a stat in two packs and a stat in none', () => {
    const refused = (packs: PackPlan[], count: number) => {
      try {
        statLocations(packs, count, 4096)
      } catch (e) {
        return e instanceof ThresholdError ? e.code : 'other'
      }
      return 'accepted'
    }
    expect(refused([{ stats: [0, 1], classes: 2, window: 1, level: 2 }], 2)).toBe('PARAMS_INVALID')
    expect(refused([alone(0), alone(0)], 1)).toBe('PARAMS_INVALID')
    expect(refused([alone(0)], 2)).toBe('PARAMS_INVALID')
  })
})
