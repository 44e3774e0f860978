import {
  type Address,
  type Hex32,
  POOL_EXEC_ENV,
  poolPayouts,
  poolResultHash,
  sha256,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import {
  circuitIdOf,
  committeePoolPlan,
  compile,
  DEFAULT_LIMITS,
  DEFAULT_SMUDGING_BITS,
  type FinishedOutputs,
  type HeContext,
  heContext,
  isProfileName,
  openPoolRelease,
  type PoolPrivacyPlan,
  planPoolRelease,
  poolLayoutOf,
  readCiphertext,
  resultHashOf,
  rnsBasis,
  smudgingErrorBound,
  snapshotManifest,
} from '../../sandbox/index.ts'
import type { Client } from './client.ts'
import { ClientError } from './errors.ts'
import { memberOutputsOf, releasedCommitteeJob, unsealOutputs, whileIncomplete } from './threshold-result.ts'

/** What the buyer gets of a job on a pool snapshot. */
export interface PoolJobResult {
  readonly jobId: Hex32
  readonly poolId: Hex32
  readonly resultHash: Hex32
  /** the snapshot the job read: its height, contributions and contributors (public, from the log) */
  readonly snapshot: { readonly height: number; readonly count: number; readonly contributors: number }
  /** the members whose shares opened the aggregate: the set S the releasing block fixed */
  readonly participants: readonly number[]
  /**
   * the released outputs: numbers describing fewer than the pool's minimum of contributors are
   * null (suppressed), and each field states its epsilon and 95% error (the t members' noises and
   * the smudging counted)
   */
  readonly outputs: FinishedOutputs['outputs']
  /** the committee's score, as the block released it (fixed point, 1e6 = 1) */
  readonly qualityScore: number
  /** what the outputs spend of the pool's budget, for every contributor in the snapshot */
  readonly epsilon: number
  /** the plan the release used: each member's noise summed over S, and each gate's threshold for that sum */
  readonly plan: PoolPrivacyPlan
}

/**
 * The buyer's result of a job on a pool snapshot, from any node. Nothing the node serves is
 * trusted: the aggregate's bytes and the snapshot's counts must hash, with the circuit the spec
 * compiles to, to the certified result hash (poolResultHash), and only output shares that a
 * validator of the committee's epoch signed as its member count. Opened with the request's sealing
 * key and combined (openPoolRelease): the buyer adds no noise, each member's share carries its own.
 */
export function poolResult(
  client: Client,
  jobId: Hex32,
  sealingKey: Uint8Array,
  options: { readonly waitMs?: number } = {},
): Promise<PoolJobResult> {
  return whileIncomplete(options.waitMs ?? 0, () => poolResultNow(client, jobId, sealingKey))
}

async function poolResultNow(client: Client, jobId: Hex32, sealingKey: Uint8Array): Promise<PoolJobResult> {
  const { record, resultHash, manifest, holder, spec, qualityScore } = await releasedCommitteeJob(
    client,
    jobId,
    'no member releases its outputs',
  )
  const poolId = record.request.request.vaultId
  if (!manifest.pool || !isProfileName(manifest.profile)) {
    throw new ClientError('NOT_A_POOL', `job ${jobId} is on vault ${poolId}, which is not a pool`)
  }
  const height = spec.snapshot
  const view = height === undefined ? undefined : await client.poolSnapshot(poolId, height)
  if (height === undefined || view?.height !== height) {
    throw new ClientError(
      'BAD_RELEASE',
      `job ${jobId}: the node holds no snapshot ${height} of pool ${poolId}`,
    )
  }
  const aggregate = await client.blob(view.aggregate)
  if (!aggregate || sha256(aggregate) !== view.aggregate) {
    throw new ClientError(
      'BAD_RESPONSE',
      `the node does not serve the aggregate ${view.aggregate} of the snapshot`,
    )
  }
  const counts = new Map(view.counts.map((c) => [c.contributor.toLowerCase() as Address, c.contributions]))
  const layout = poolLayoutOf(manifest)
  const atSnapshot = snapshotManifest(manifest, view.count)
  const circuit = compile(spec, atSnapshot, DEFAULT_LIMITS, { pack: false })
  // The node's aggregate and counts are what the network certified, or nothing is opened.
  const bundleHash = resultHashOf(circuitIdOf(circuit), POOL_EXEC_ENV, [aggregate])
  if (poolResultHash(bundleHash, poolPayouts(counts)) !== resultHash) {
    throw new ClientError(
      'RESULT_MISMATCH',
      `the snapshot the node serves (aggregate ${view.aggregate}, ${counts.size} contributors) does not hash to the certified result ${resultHash}`,
    )
  }
  const plan = planPoolRelease({
    spec,
    circuit,
    layout,
    policy: manifest.policy,
    minContributors: manifest.pool.minContributors,
    counts,
  })
  const { committee, genuine } = await memberOutputsOf(client, jobId, holder, resultHash)
  const { participants, shares } = oneSet(openPoolShares(genuine, sealingKey), committee.threshold)
  const ctx = await heContext(manifest.profile)
  const released = openPoolRelease({
    ctx,
    aggregate,
    participants,
    shares,
    manifest: atSnapshot,
    circuit,
    plan,
    layout,
    expect: spec.expect,
  })
  return {
    jobId,
    poolId,
    resultHash,
    snapshot: { height, count: view.count, contributors: view.contributors },
    participants,
    outputs: released.finished.outputs,
    qualityScore,
    epsilon: plan.epsilon,
    plan: releasedPlan(ctx, aggregate, plan, participants.length),
  }
}

/** The plan as openPoolRelease released by it: t members' noises and the smudging in every deviation and gate. */
function releasedPlan(
  ctx: HeContext,
  aggregate: Uint8Array,
  plan: PoolPrivacyPlan,
  members: number,
): PoolPrivacyPlan {
  const basis = rnsBasis(ctx)
  const bound = smudgingErrorBound(
    basis.n,
    members,
    DEFAULT_SMUDGING_BITS,
    readCiphertext(basis, aggregate).scale,
  )
  return committeePoolPlan(plan, members, bound / 7.5, bound)
}

interface OpenedShare {
  readonly member: number
  readonly participants: readonly number[]
  readonly bytes: Uint8Array
}

/** Each member's sealed pool share, opened with the sealing key (its signature binds set and result). */
function openPoolShares(releases: readonly ThresholdRelease[], sealingKey: Uint8Array): OpenedShare[] {
  return releases.flatMap((r) => {
    const outputs = r.outputs
    if (!outputs) return []
    try {
      const bytes = unsealOutputs(outputs, sealingKey)
      return [{ member: outputs.member, participants: outputs.participants, bytes }]
    } catch (cause) {
      throw new ClientError('UNSEAL_FAILED', `member ${outputs.member}'s share does not open with this key`, {
        cause,
      })
    }
  })
}

/** The one set S all of whose t members sent their share for S (honest members share for the block's S only). */
function oneSet(
  opened: readonly OpenedShare[],
  threshold: number,
): { participants: number[]; shares: Uint8Array[] } {
  const byMember = new Map(opened.map((s) => [s.member, s]))
  const complete = [
    ...new Set(
      opened
        .map((s) => s.participants.join(','))
        .filter((key) => {
          const set = key.split(',').map(Number)
          return set.length === threshold && set.every((m) => byMember.get(m)?.participants.join(',') === key)
        }),
    ),
  ]
  if (complete.length > 1) {
    throw new ClientError(
      'RESULT_MISMATCH',
      `members shared for more than one set: ${complete.join(' and ')}`,
    )
  }
  if (complete.length === 0) {
    throw new ClientError(
      'RESULT_INCOMPLETE',
      `pool shares from members ${[...byMember.keys()].join(', ') || 'none'}: the ${threshold} of the block's set are not all here yet`,
    )
  }
  const participants = complete[0]!.split(',').map(Number)
  return { participants, shares: participants.map((m) => byMember.get(m)!.bytes) }
}
