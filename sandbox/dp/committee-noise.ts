import { SandboxError } from '../errors.ts'
import { discreteLaplace, scaleFraction } from './discrete-laplace.ts'
import type { PrivacyPlan, StatNoise } from './plan.ts'
import type { RandomSource } from './random.ts'

/**
 * Differential privacy in threshold mode. No party sees a statistic before its noise goes on, so
 * each member of the opening set adds its own full-scale noise to its share, in the coefficient
 * domain: the buyer's combined value is x·scale + e + Σ_members Z_i, and the privacy argument
 * needs only one honest member's Z_i.
 *
 * Owner mode rounds x + e to the grid γ and adds discrete Laplace noise of scale b in grid steps.
 * Here the opened value is an integer in units of 1/scale, so Z_i is discrete Laplace over the
 * integers with scale B = b·γ·scale. Neighbouring vaults move that integer by at most
 * (sensitivity + 2·E_max)·scale + 1 ≤ steps·γ·scale (plan.ts's `steps` already counts one grid
 * step for rounding and the CKKS error bound), so one member's Z_i alone makes the stat
 * ε_stat-DP, the same guarantee as owner mode, whatever the other members add.
 */
export function coefficientNoise(
  noise: StatNoise,
  scale: number,
  modulus: bigint,
  members: number,
  random: RandomSource,
): bigint {
  if (noise.epsilon === 0) return 0n
  const { t, s } = scaleFraction(noise.scale)
  // γ·scale rounded up: never less noise than the plan asks for.
  const unit = BigInt(Math.ceil(noise.grid * scale))
  const width = (t * unit) / s
  // t members' noises must stay far inside the ciphertext's modulus (P(|Z| > 48 B) < 2^-69),
  // or the combination wraps around and the buyer gets garbage instead of a noisy value.
  if (width * 48n * BigInt(members) * 4n >= modulus) {
    throw new SandboxError(
      'NOISE_TOO_WIDE',
      `a statistic's privacy noise (scale ${noise.scale} grid steps at epsilon ${noise.epsilon}) does not fit the result's modulus`,
    )
  }
  return discreteLaplace(random, t * unit, s)
}

/** A committee's combined statistic on its grid, as owner mode releases it: post-processing, free. */
export function onStatGrid(value: number, noise: StatNoise): number {
  if (noise.epsilon === 0) return 0
  if (!Number.isFinite(value)) throw new SandboxError('RESULT_INVALID', 'a stat combined to a non-number')
  return Math.round(value / noise.grid) * noise.grid
}

/**
 * The plan as the buyer's combination sees it: `members` independent full-scale noises per stat,
 * so every standard deviation, and with it every stated 95% error, is √members wider.
 */
export function committeePlan(plan: PrivacyPlan, members: number): PrivacyPlan {
  const widen = Math.sqrt(members)
  return {
    ...plan,
    stats: plan.stats.map((s) => ({ ...s, std: s.std * widen })),
    outputs: plan.outputs.map((o) => ({
      ...o,
      error95: Object.fromEntries(Object.entries(o.error95).map(([k, v]) => [k, v * widen])),
    })),
  }
}
