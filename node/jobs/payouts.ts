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
