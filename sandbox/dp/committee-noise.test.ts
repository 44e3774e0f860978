import { describe, expect, it } from 'vitest'
import { SeededRandom } from '../testing/seeded-random.ts'
import { coefficientNoise, committeePlan, onStatGrid } from './committee-noise.ts'
import { discreteLaplaceVariance } from './discrete-laplace.ts'
import type { PrivacyPlan, StatNoise } from './plan.ts'

const SCALE = 2 ** 40
const Q0 = 1152921504606748673n
const noise = (epsilon: number): StatNoise => {
  const grid = 1 / 64
  const steps = 66
  const scale = steps / epsilon
  return {
    sensitivity: 1,
    grid,
    steps,
    epsilon,
    scale,
    std: grid * Math.sqrt(discreteLaplaceVariance(scale)),
  }
}

describe("a committee member's privacy noise in the coefficient domain", () => {
  it("has owner mode's standard deviation once divided by the ciphertext scale", () => {
    const n = noise(1)
    const random = new SeededRandom('coefficient noise')
    const draws = Array.from(
      { length: 4000 },
      () => Number(coefficientNoise(n, SCALE, Q0, 3, random)) / SCALE,
    )
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length
    const sd = Math.sqrt(draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length)
    // 4000 draws: the sample sd is within a few percent of the true one.
    expect(Math.abs(sd / n.std - 1)).toBeLessThan(0.08)
    expect(Math.abs(mean)).toBeLessThan((4 * n.std) / Math.sqrt(draws.length))
    // Integers at 2^-40 resolution, not multiples of the grid: no coset of the grid gives a stat away.
    expect(draws.filter((d) => Number.isInteger(d * 64)).length).toBeLessThan(draws.length / 100)
  })

  it('refuses noise that t members would wrap around the modulus, and opens nothing at epsilon 0', () => {
    const random = new SeededRandom('wide')
    expect(() => coefficientNoise(noise(1e-6), SCALE, Q0, 3, random)).toThrow(
      expect.objectContaining({ code: 'NOISE_TOO_WIDE' }),
    )
    expect(coefficientNoise({ ...noise(1), epsilon: 0 }, SCALE, Q0, 3, random)).toBe(0n)
    expect(onStatGrid(12.3456, noise(1))).toBe(Math.round(12.3456 * 64) / 64)
    expect(onStatGrid(12.3456, { ...noise(1), epsilon: 0 })).toBe(0)
  })

  it("widens the buyer's stated deviations by √t", () => {
    const plan = {
      stats: [noise(1)],
      outputs: [{ name: 'x', epsilon: 1, stats: [0], error95: { value: 2 } }],
    } as unknown as PrivacyPlan
    const wide = committeePlan(plan, 3)
    expect(wide.stats[0]!.std).toBeCloseTo(noise(1).std * Math.sqrt(3), 12)
    expect(wide.outputs[0]!.error95.value).toBeCloseTo(2 * Math.sqrt(3), 12)
  })
})
