import { type Hex32, type PoolPayouts, poolPayouts } from '../../protocol/index.ts'
import {
  type AlgorithmSpec,
  type Circuit,
  type CompileLimits,
  compile,
  type PoolLayout,
  type PoolPrivacyPlan,
  planPoolRelease,
  poolLayoutOf,
  poolSlotNoise,
  type StatNoise,
  snapshotManifest,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { PoolError } from './errors.ts'
import type { PoolLog, PoolSnapshot } from './pool-log.ts'

/**
 * A job on a pool snapshot, as every validator derives it from replicated state alone: the
 * snapshot the spec names (from the pool's log), the circuit compiled for its record bound, the
 * contributor-unit privacy plan from its public counts, and the payouts tree it pays by.
 */
export interface PoolJob {
  readonly snapshot: PoolSnapshot
  /** the pool's manifest with the snapshot's record bound (snapshotManifest) */
  readonly manifest: VaultManifest
  readonly layout: PoolLayout
  readonly circuit: Circuit
  readonly plan: PoolPrivacyPlan
  /** every layout slot's noise: the release opens the aggregate whole (sandbox poolSlotNoise) */
  readonly slotNoise: readonly StatNoise[]
  readonly payouts: PoolPayouts
}

/** What a pool job reads of the replicated state: the pool logs and the committed head. */
export interface PoolJobSources {
  readonly log: Pick<PoolLog, 'snapshot'>
  /** the last committed height: a snapshot above it does not exist yet for every validator */
  readonly head: number
}

/**
 * The job `spec` asks of `manifest` on a pool: refused with a typed error when it names no
 * snapshot, one above the head, or a height at which this pool did not change (another pool's, or
 * none); the sandbox's CompileError when the plan refuses (AGGREGATION_TOO_SMALL, OP_NOT_ALLOWED,
 * SLOT_UNCOVERED for a spec that leaves a slot of the layout unread…).
 */
export function poolJob(
  manifest: VaultManifest,
  spec: AlgorithmSpec,
  sources: PoolJobSources,
  limits: CompileLimits,
): PoolJob {
  const poolId = manifest.vaultId
  const pool = manifest.pool
  if (!pool) throw new PoolError('NOT_A_POOL', `vault ${poolId} is not a pool`)
  const height = spec.snapshot
  if (height === undefined) {
    throw new PoolError(
      'SNAPSHOT_MISSING',
      `vault ${poolId} is a pool: the spec must name the snapshot it reads (snapshot: <height>)`,
    )
  }
  if (height > sources.head) {
    throw new PoolError(
      'SNAPSHOT_AHEAD',
      `snapshot ${height} is above the committed head ${sources.head}: not every validator holds it`,
    )
  }
  // Exactly a height at which this pool changed: "at or below" would let a height that names
  // another pool's snapshot (or none) silently read an older one of this pool.
  const snapshot = sources.log.snapshot(poolId as Hex32, height)
  if (snapshot?.height !== height) {
    throw new PoolError(
      'SNAPSHOT_UNKNOWN',
      `pool ${poolId} did not change at height ${height}: no snapshot of it there${snapshot ? ` (its latest below is at ${snapshot.height})` : ''}`,
    )
  }
  const layout = poolLayoutOf(manifest)
  const atSnapshot = snapshotManifest(manifest, snapshot.count)
  // Read from the aggregate's slots, never evaluated homomorphically: nothing to pack.
  const circuit = compile(spec, atSnapshot, limits, { pack: false })
  const plan = planPoolRelease({
    spec,
    circuit,
    layout,
    policy: manifest.policy,
    minContributors: pool.minContributors,
    counts: snapshot.counts,
  })
  // Refused here (SLOT_UNCOVERED) rather than at the release: the release opens every slot.
  const slotNoise = poolSlotNoise(plan, layout, circuit)
  return {
    snapshot,
    manifest: atSnapshot,
    layout,
    circuit,
    plan,
    slotNoise,
    payouts: poolPayouts(snapshot.counts),
  }
}
