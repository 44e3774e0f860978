import type { Hex32, SignedJobRequest, VaultBudget } from '../../protocol/index.ts'
import {
  type CompileLimits,
  compile,
  MICROS,
  type PrivacyPlan,
  parseSpec,
  planPrivacy,
  privacyOf,
  scoreStats,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { PoolError } from '../pools/errors.ts'
import { type PoolJobSources, poolJob } from '../pools/pool-job.ts'
import { SpecMemo } from './spec-memo.ts'

/**
 * The epsilon a job spends on its vault, as every validator computes it:
 * a pure function of the signed spec and the content-addressed manifest.
 * Throws the sandbox's CompileError for a spec that does not compile.
 *
 * A committee vault's job opens the statistics its score reads twice, with
 * independent noise: to everyone in the score shares, and to the buyer in
 * the output shares (docs/threshold.md). So it is charged their epsilon a
 * second time, on top of the outputs' epsilon.
 */
export function jobPrivacy(
  request: SignedJobRequest,
  manifest: VaultManifest,
  limits: CompileLimits,
  pools?: PoolJobSources,
): PrivacyPlan {
  // A pool's plan reads its snapshot, which moves with the pool log: never remembered.
  if (manifest.pool) return planJob(request, manifest, limits, pools)
  return planned.get(manifest, limits, request.request.algorithm.spec, () =>
    planJob(request, manifest, limits, pools),
  )
}

/** Plans already made (256 a vault): the same pure function's answers. */
const planned = new SpecMemo<PrivacyPlan>(256)

function planJob(
  request: SignedJobRequest,
  manifest: VaultManifest,
  limits: CompileLimits,
  pools?: PoolJobSources,
): PrivacyPlan {
  const spec = parseSpec(request.request.algorithm.spec)
  // A pool job's score reads only the snapshot's public counts (docs/pools.md), so nothing is
  // opened twice: it is charged its outputs' epsilon, which every contributor in the snapshot spends.
  if (manifest.pool) {
    if (!pools)
      throw new PoolError(
        'SNAPSHOT_MISSING',
        `pool ${manifest.vaultId}: no pool log to read its snapshot from`,
      )
    return poolJob(manifest, spec, pools, limits).plan
  }
  if (spec.snapshot !== undefined) {
    throw new PoolError(
      'SNAPSHOT_NOT_A_POOL',
      `vault ${manifest.vaultId} is not a pool: a spec names a snapshot only for a job on a pool`,
    )
  }
  const circuit = compile(spec, manifest, limits)
  const plan = planPrivacy(spec, circuit, manifest)
  if (manifest.keyHolder?.mode !== 'committee') return plan
  const score = scoreStats(circuit, manifest, spec.expect).reduce((a, i) => a + plan.stats[i]!.epsilon, 0)
  const epsilon = plan.epsilon + score
  return { ...plan, epsilon, epsilonMicros: Math.ceil(epsilon * MICROS - 1e-6) }
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
