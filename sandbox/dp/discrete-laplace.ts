import type { RandomSource } from './random.ts'

/**
 * Exact samplers over the integers after Canonne, Kamath and Steinke, "The
 * Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1
 * and 2: every probability is a ratio of BigInts and every draw a uniform
 * integer, so the output has no floating-point low bits to leak through
 * (Mironov, CCS 2012).
 */

/** Bernoulli(num / den), 0 <= num <= den. */
export function bernoulli(random: RandomSource, num: bigint, den: bigint): boolean {
  return random.uniform(den) < num
}

/** Bernoulli(exp(-num / den)) for num / den >= 0. */
export function bernoulliExp(random: RandomSource, num: bigint, den: bigint): boolean {
  if (num < 0n || den <= 0n) throw new RangeError(`bernoulliExp needs num >= 0 < den, got ${num}/${den}`)
  // exp(-g) = exp(-1)^floor(g) * exp(-(g - floor(g))), each factor an exact coin.
  let whole = num / den
  while (whole > 0n) {
    if (!bernoulliExpUnit(random, 1n, 1n)) return false
    whole--
  }
  return bernoulliExpUnit(random, num % den, den)
}

/** Bernoulli(exp(-g)) for g = num / den in [0, 1]: the parity of the first failing k in a run of Bernoulli(g / k). */
function bernoulliExpUnit(random: RandomSource, num: bigint, den: bigint): boolean {
  let k = 1n
  while (bernoulli(random, num, den * k)) k++
  return k % 2n === 1n
}

/**
 * A sample of the discrete Laplace distribution with scale t / s over the
 * integers: P(x) proportional to exp(-|x| s / t), t, s positive integers.
 */
export function discreteLaplace(random: RandomSource, t: bigint, s: bigint): bigint {
  if (t <= 0n || s <= 0n) throw new RangeError(`discrete Laplace scale must be positive, got ${t}/${s}`)
  for (;;) {
    const u = random.uniform(t)
    if (!bernoulliExp(random, u, t)) continue
    let v = 0n
    while (bernoulliExp(random, 1n, 1n)) v++
    const y = (u + t * v) / s
    const negative = bernoulli(random, 1n, 2n)
    if (negative && y === 0n) continue
    return negative ? -y : y
  }
}

/** The scale t / s as exact integers: t = ceil(scale * s) so the noise is never below the scale asked for. */
export const SCALE_DENOMINATOR = 1_000_000n

export function scaleFraction(scale: number): { t: bigint; s: bigint } {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`scale must be positive, got ${scale}`)
  return { t: BigInt(Math.ceil(scale * Number(SCALE_DENOMINATOR))), s: SCALE_DENOMINATOR }
}

/** Variance of the discrete Laplace with scale b: 2p / (1 - p)^2, p = exp(-1/b). */
export function discreteLaplaceVariance(scale: number): number {
  const p = Math.exp(-1 / scale)
  return (2 * p) / (1 - p) ** 2
}

/** The least q with P(|X| > q) <= alpha, from P(|X| >= k) = 2 p^k / (1 + p) for k >= 1. */
export function discreteLaplaceQuantile(scale: number, alpha: number): number {
  const p = Math.exp(-1 / scale)
  const k = Math.ceil(Math.log((alpha * (1 + p)) / 2) / Math.log(p))
  return Math.max(0, k - 1)
}
