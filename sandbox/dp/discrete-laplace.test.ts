import { describe, expect, it } from 'vitest'
import { SeededRandom } from '../testing/seeded-random.ts'
import {
  bernoulliExp,
  discreteLaplace,
  discreteLaplaceQuantile,
  discreteLaplaceVariance,
  scaleFraction,
} from './discrete-laplace.ts'
import { SystemRandom } from './random.ts'

const N = 20_000

function draw(scale: number, seed: string): number[] {
  const random = new SeededRandom(seed)
  const { t, s } = scaleFraction(scale)
  return Array.from({ length: N }, () => Number(discreteLaplace(random, t, s)))
}

describe('bernoulliExp', () => {
  it.each([
    [1n, 3n],
    [1n, 1n],
    [5n, 2n],
  ])('comes up with probability exp(-%i/%i)', (num, den) => {
    const random = new SeededRandom(`bexp-${num}-${den}`)
    let hits = 0
    for (let i = 0; i < N; i++) if (bernoulliExp(random, num, den)) hits++
    const p = Math.exp(-Number(num) / Number(den))
    // 5 standard errors of a binomial proportion
    expect(Math.abs(hits / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N))
  })
})

describe('discreteLaplace', () => {
  it.each([0.7, 3, 40])('at scale %f has mean 0 and the stated variance', (scale) => {
    const xs = draw(scale, `moments-${scale}`)
    const variance = discreteLaplaceVariance(scale)
    const mean = xs.reduce((a, b) => a + b, 0) / N
    const observed = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / N
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(variance / N))
    // The variance of a Laplace sample variance is 5 var^2 (kurtosis 6): 5 standard errors.
    expect(Math.abs(observed - variance)).toBeLessThan(5 * Math.sqrt((5 * variance ** 2) / N))
  })

  it('has the stated 95% quantile and geometric tails', () => {
    const scale = 5
    const xs = draw(scale, 'tails')
    const q = discreteLaplaceQuantile(scale, 0.05)
    const beyond = xs.filter((x) => Math.abs(x) > q).length / N
    expect(beyond).toBeLessThanOrEqual(0.05 + 5 * Math.sqrt((0.05 * 0.95) / N))
    expect(beyond).toBeGreaterThan(0.03)
    // P(|X| >= k) = 2 p^k / (1 + p)
    const p = Math.exp(-1 / scale)
    for (const k of [5, 10, 20]) {
      const expected = (2 * p ** k) / (1 + p)
      const seen = xs.filter((x) => Math.abs(x) >= k).length / N
      expect(Math.abs(seen - expected)).toBeLessThan(5 * Math.sqrt((expected * (1 - expected)) / N))
    }
  })

  it('is symmetric and puts the stated mass on 0', () => {
    const scale = 2
    const xs = draw(scale, 'symmetry')
    const p = Math.exp(-1 / scale)
    const zero = xs.filter((x) => x === 0).length / N
    const expectedZero = (1 - p) / (1 + p)
    expect(Math.abs(zero - expectedZero)).toBeLessThan(5 * Math.sqrt((expectedZero * (1 - expectedZero)) / N))
    const positive = xs.filter((x) => x > 0).length
    const negative = xs.filter((x) => x < 0).length
    expect(Math.abs(positive - negative)).toBeLessThan(5 * Math.sqrt(N))
  })

  it('draws integers only, from the system CSPRNG too', () => {
    const random = new SystemRandom()
    const { t, s } = scaleFraction(12.5)
    for (let i = 0; i < 2000; i++) expect(typeof discreteLaplace(random, t, s)).toBe('bigint')
  })

  it('refuses a non-positive scale', () => {
    expect(() => scaleFraction(0)).toThrow(RangeError)
    expect(() => discreteLaplace(new SeededRandom('x'), 0n, 1n)).toThrow(RangeError)
  })
})
