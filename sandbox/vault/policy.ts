import { z } from 'zod'
import { OP_NAMES } from '../spec/schema.ts'

/**
 * The vault's differential-privacy budget (pure epsilon-DP, basic
 * composition): `epsilon` over the vault's lifetime, at most
 * `maxEpsilonPerJob` for one job, protecting one `unit` (one record today;
 * one contributor for pooled vaults). A policy without it gets
 * DEFAULT_PRIVACY, so manifests written before the budget stay valid.
 */
export const PrivacyPolicySchema = z
  .object({
    epsilon: z.number().positive().max(1000),
    maxEpsilonPerJob: z.number().positive().max(1000),
    unit: z.enum(['record', 'contributor']),
  })
  .refine((p) => p.maxEpsilonPerJob <= p.epsilon, {
    message: 'maxEpsilonPerJob cannot exceed the total epsilon',
    path: ['maxEpsilonPerJob'],
  })
export type PrivacyPolicy = z.infer<typeof PrivacyPolicySchema>

export const DEFAULT_PRIVACY: PrivacyPolicy = { epsilon: 10, maxEpsilonPerJob: 1, unit: 'record' }

export function privacyOf(policy: Pick<Policy, 'privacy'>): PrivacyPolicy {
  return policy.privacy ?? DEFAULT_PRIVACY
}

/**
 * The seller's usage policy, part of the manifest and so of the vault id:
 * which ops a buyer's spec may use, the smallest group any released number
 * may describe, the price in wei, an optional cap on a job's cost and the
 * privacy budget.
 */
export const PolicySchema = z.object({
  allowedOps: z.array(z.enum(OP_NAMES)).min(1),
  minAggregation: z.number().int().min(1),
  price: z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'price is a decimal integer amount of wei'),
  maxCost: z.number().positive().optional(),
  privacy: PrivacyPolicySchema.optional(),
})
export type Policy = z.infer<typeof PolicySchema>
