import {
  type Address,
  type Hex32,
  type JobPayouts,
  poolPayouts,
  poolResultHash,
} from '../../protocol/index.ts'
import { NodeError } from '../errors.ts'

/**
 * What the node knows of a job on a pool once it evaluated it: the bundle hash of the evaluation
 * and the contribution count of each contributor in the snapshot the job read (from the pool log).
 */
export interface PoolJobSnapshot {
  readonly bundleHash: Hex32
  readonly counts: ReadonlyMap<Address, number>
}

/** The node's one dependency for serving payouts: undefined for a job that is not a pool job here. */
export type PayoutsOf = (jobId: Hex32) => Promise<PoolJobSnapshot | undefined>

/**
 * The payouts answer of `GET /v1/jobs/:id/payouts`: the tree of the snapshot's counts, with the
 * bundle hash. When the job's certified result hash is known it must be the one these bind
 * (poolResultHash): a node serving another tree would send contributors to claims the chain refuses.
 */
export function jobPayouts(jobId: Hex32, snapshot: PoolJobSnapshot, certified?: Hex32): JobPayouts {
  const payouts = poolPayouts(snapshot.counts)
  if (certified !== undefined && poolResultHash(snapshot.bundleHash, payouts) !== certified) {
    throw new NodeError(
      'PAYOUTS_MISMATCH',
      `the payouts of job ${jobId} do not hash to its certified result ${certified}`,
    )
  }
  return {
    jobId,
    bundleHash: snapshot.bundleHash,
    root: payouts.root,
    total: payouts.total,
    leaves: payouts.leaves.map((l) => ({ ...l })),
  }
}

/**
 * `jobPayouts` served once per job: building the tree is CPU-bound (about 8 s for 100,000
 * contributors on the reference machine), and a job's payouts never change once it is evaluated,
 * so an unauthenticated caller repeating the request must not repeat the work. Concurrent requests
 * share one build; an answer of no payouts is not kept (the job may be evaluated later).
 */
export function servedPayouts(
  payoutsOf: PayoutsOf,
  certifiedOf: (jobId: Hex32) => Promise<Hex32 | undefined>,
  keep = 32,
): (jobId: Hex32) => Promise<JobPayouts | undefined> {
  const built = new Map<Hex32, Promise<JobPayouts | undefined>>()
  return (jobId) => {
    const cached = built.get(jobId)
    if (cached !== undefined) return cached
    const answer = (async () => {
      const snapshot = await payoutsOf(jobId)
      return snapshot === undefined ? undefined : jobPayouts(jobId, snapshot, await certifiedOf(jobId))
    })()
    built.set(jobId, answer)
    if (built.size > keep) built.delete(built.keys().next().value as Hex32)
    answer.then(
      (a) => a === undefined && built.delete(jobId),
      () => built.delete(jobId),
    )
    return answer
  }
}
