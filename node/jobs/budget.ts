import type { Hex32, SignedJobRequest, VaultBudget } from '../../protocol/index.ts'
import {
  type CompileLimits,
  compile,
  MICROS,
  type PrivacyPlan,
  parseSpec,
  planPrivacy,
  privacyOf,
  type VaultManifest,
} from '../../sandbox/index.ts'

/**
 * The epsilon a job spends on its vault, as every validator computes it:
 * a pure function of the signed spec and the content-addressed manifest.
 * Throws the sandbox's CompileError for a spec that does not compile.
 */
export function jobPrivacy(
  request: SignedJobRequest,
  manifest: VaultManifest,
  limits: CompileLimits,
): PrivacyPlan {
  const spec = parseSpec(request.request.algorithm.spec)
  return planPrivacy(spec, compile(spec, manifest, limits), manifest)
}

export function vaultBudget(
  manifest: VaultManifest,
  height: number,
  spentMicros: number,
  jobs: number,
): VaultBudget {
  const policy = privacyOf(manifest.policy)
  const totalMicros = Math.round(policy.epsilon * MICROS)
  return {
    vaultId: manifest.vaultId as Hex32,
    height,
    unit: policy.unit,
    epsilon: policy.epsilon,
    maxEpsilonPerJob: policy.maxEpsilonPerJob,
    spent: spentMicros / MICROS,
    remaining: Math.max(0, totalMicros - spentMicros) / MICROS,
    jobs,
  }
}
