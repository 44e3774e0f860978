import { describe, expect, it } from 'vitest'
import { SeededRandom } from '../testing/seeded-random.ts'
import { discreteLaplace, scaleFraction } from './discrete-laplace.ts'
import { statNoise } from './plan.ts'
import { checkSlotCapacity, sumTail } from './pool-slot-noise.ts'

describe("the slot release's noise bounds", () => {
  it('sumTail: one noise needs about b·ln(1/p); a sum of t noises is bounded where sampling says it is', () => {
    const b = 6
    // one noise: P(Z ≥ m) ≈ exp(−m/b), so the Chernoff bound sits a little above b·ln(1/p)
    const one = sumTail(b, 1, 1e-3)
    expect(one).toBeGreaterThan(b * Math.log(1 / 1e-3) - b)
    expect(one).toBeLessThan(b * (Math.log(1 / 1e-3) + 3))
    const t = 3
    const p = 1e-2
    const m = sumTail(b, t, p)
    expect(m).toBeGreaterThan(sumTail(b, 1, p))
    const random = new SeededRandom('sum-tail')
    const { t: num, s } = scaleFraction(b)
    const draws = 20_000
    let over = 0
    let overOne = 0
    const single = b * Math.log(1 / p)
    for (let i = 0; i < draws; i++) {
      let sum = 0n
      for (let k = 0; k < t; k++) sum += discreteLaplace(random, num, s)
      if (Number(sum) >= m) over++
      if (Number(sum) >= single) overOne++
    }
    console.log(
      `b ${b}, t ${t}: margin ${m.toFixed(1)}, P(sum ≥ margin) ${over / draws} ≤ ${p}; ` +
        `one noise's margin b·ln(1/p) = ${single.toFixed(1)} would be passed with ${overOne / draws}`,
    )
    expect(over / draws).toBeLessThanOrEqual(p)
    // why the buyer's gates are recomputed: a single noise's margin does not hold for t of them
    expect(overOne / draws).toBeGreaterThan(p)
  })

  it('checkSlotCapacity: totals plus t noises within a quarter of the prime, or NOISE_TOO_WIDE', () => {
    const prime = (1n << 60n) - 93n
    const noise = [statNoise(10, 70, 0.5)]
    const width = noise[0]!.scale * noise[0]!.grid
    const room = Number(prime) / 4 / 2 ** 37
    const fits = Math.floor(room - 3 * 48 * width)
    expect(() => checkSlotCapacity(noise, fits, 3, 2 ** 37, prime)).not.toThrow()
    expect(() => checkSlotCapacity(noise, fits + Math.ceil(width), 3, 2 ** 37, prime)).toThrow(
      expect.objectContaining({ code: 'NOISE_TOO_WIDE' }),
    )
  })
})
