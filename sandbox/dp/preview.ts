import { roundSignificant } from '../decrypt/finish.ts'
import { Z95 } from './accuracy.ts'
import type { PrivacyPlan } from './plan.ts'

/**
 * What a buyer sees before paying: the job's epsilon against the policy,
 * and per output its epsilon, the standard deviation of the noise on each
 * released field and the 95% error, on a typical vault (plan.ts,
 * referenceStats; the actual error is stated again with the result).
 */
export interface PrivacyPreview {
  readonly epsilon: number
  readonly maxEpsilonPerJob: number
  readonly vaultEpsilon: number
  readonly unit: string
  readonly outputs: Readonly<
    Record<
      string,
      {
        readonly epsilon: number
        readonly noiseStd: Readonly<Record<string, number>>
        readonly error95: Readonly<Record<string, number>>
      }
    >
  >
}

export function privacyPreview(plan: PrivacyPlan): PrivacyPreview {
  const two = (v: number) => roundSignificant(v, 2)
  const map = (r: Readonly<Record<string, number>>, f: (v: number) => number) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, two(f(v))]))
  return {
    epsilon: roundSignificant(plan.epsilon, 6),
    maxEpsilonPerJob: plan.policy.maxEpsilonPerJob,
    vaultEpsilon: plan.policy.epsilon,
    unit: plan.policy.unit,
    outputs: Object.fromEntries(
      plan.outputs.map((o) => [
        o.name,
        {
          epsilon: roundSignificant(o.epsilon, 6),
          noiseStd: map(o.error95, (v) => v / Z95),
          error95: map(o.error95, (v) => v),
        },
      ]),
    ),
  }
}
