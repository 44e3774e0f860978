import type { Circuit } from '../compiler/circuit.ts'
import { type Gate, gatesOf, POOL_OPS } from '../contribution/gates.ts'
import type { PoolLayout } from '../contribution/layout.ts'
import { poolSlotIndex } from '../contribution/layout.ts'
import { CompileError } from '../errors.ts'
import type { AlgorithmSpec } from '../spec/schema.ts'
import { storedColumns } from '../vault/layout.ts'
import type { Policy } from '../vault/policy.ts'
import { GRID_STEPS, type PrivacyPlan, planStats, type StatNoise, statNoise, statSteps } from './plan.ts'
import { poolSlotNoise } from './pool-slot-noise.ts'

/** What part of an output's epsilon its gates (the contributor counts deciding suppression) get. */
export const GATE_SHARE = 0.25
/** The default bound on the probability that a number describing fewer than the minimum is released. */
export const DEFAULT_FALSE_RELEASE = 2 ** -20

export interface PoolPlanInput {
  readonly spec: AlgorithmSpec
  /** compiled on the pool's schema with recordCount = poolRecordBound(layout, counts) */
  readonly circuit: Circuit
  readonly layout: PoolLayout
  /** the pool's policy: its privacy unit must be `contributor` */
  readonly policy: Policy
  /** the least number of contributors any released number may describe */
  readonly minContributors: number
  /** the snapshot's contributions per contributor address: public, from the pool's log */
  readonly counts: ReadonlyMap<string, number>
  /** the most probability a gate lets through a number describing fewer than the minimum */
  readonly falseRelease?: number
}

/** A gate and its noise: the number is released only if the noisy count reaches `threshold`. */
export interface GateNoise extends Gate {
  readonly noise: StatNoise
  /** in contributions: K·(minContributors − 1) plus the margin the noise needs for falseRelease */
  readonly threshold: number
}

export interface PoolPrivacyPlan extends PrivacyPlan {
  /** the most contributions one contributor has in the snapshot */
  readonly perContributor: number
  /** the most records one contributor adds to the snapshot: perContributor × maxRecords */
  readonly unitRecords: number
  readonly minContributors: number
  readonly falseRelease: number
  readonly gates: readonly GateNoise[]
}

/** The public bound on a snapshot's records: every contribution full. Pool jobs compile with it as recordCount. */
export function poolRecordBound(layout: PoolLayout, counts: ReadonlyMap<string, number>): number {
  let contributions = 0
  for (const n of counts.values()) contributions += n
  return contributions * layout.maxRecords
}

/**
 * The privacy plan of a job on a pool snapshot, with the contributor as the
 * unit. One contributor replaced changes up to K contributions (its most in
 * the snapshot, public from the log) of up to maxRecords records each, so
 * every stat's sensitivity is K × maxRecords times its per-record one, and
 * a family of disjoint stats (heatmap cells) is sized for the K × maxRecords
 * cells one contributor can touch (planStats). A quarter of each output's
 * epsilon goes to its gates: the `contributors:` slots counting, per
 * released number, the contributions with a record in it (sensitivity K,
 * the family's L1 2·K·min(maxRecords, cells)). The job is charged the
 * outputs' epsilons, per contributor.
 */
export function planPoolRelease(input: PoolPlanInput): PoolPrivacyPlan {
  const { spec, circuit, layout, policy, counts } = input
  const privacy = policy.privacy
  if (privacy?.unit !== 'contributor') {
    throw new CompileError(
      'POLICY_INVALID',
      `policy.privacy.unit: a pool protects each contributor; this policy protects each ${privacy?.unit ?? 'record (by default)'}`,
      { field: 'policy.privacy.unit' },
    )
  }
  for (const output of circuit.outputs) {
    if (!POOL_OPS.includes(output.op)) {
      throw new CompileError(
        'OP_NOT_ALLOWED',
        `outputs.${output.name}.op: ${output.op} is not a pool op; a pool releases ${POOL_OPS.join(', ')}, each number gated by its contributors`,
        { field: `outputs.${output.name}.op` },
      )
    }
  }
  const min = input.minContributors
  if (!Number.isInteger(min) || min < 1) {
    throw new CompileError('POLICY_INVALID', `pool.minContributors: ${min} is not a positive integer`, {
      field: 'pool.minContributors',
    })
  }
  const falseRelease = input.falseRelease ?? DEFAULT_FALSE_RELEASE
  if (!(falseRelease > 0 && falseRelease < 1)) {
    throw new CompileError('POLICY_INVALID', `falseRelease: ${falseRelease} is not a probability in (0, 1)`, {
      field: 'falseRelease',
    })
  }
  let perContributor = 0
  for (const [address, n] of counts) {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new CompileError('SNAPSHOT_INVALID', `counts.${address}: ${n} contributions`, {
        field: `counts.${address}`,
      })
    }
    perContributor = Math.max(perContributor, n)
  }
  if (counts.size < min) {
    throw new CompileError(
      'AGGREGATION_TOO_SMALL',
      `counts: the snapshot has ${counts.size} contributors, fewer than the pool's minimum of ${min}`,
      { field: 'counts' },
    )
  }
  const bound = poolRecordBound(layout, counts)
  if (circuit.recordCount !== bound) {
    throw new CompileError(
      'SNAPSHOT_INVALID',
      `circuit.recordCount: ${circuit.recordCount}; a job on this snapshot compiles with its bound of ${bound} records`,
      { field: 'circuit.recordCount' },
    )
  }
  const gates = gatesOf(circuit)
  for (const key of [...circuit.stats.map((s) => s.key), ...gates.map((g) => g.key)])
    poolSlotIndex(layout, key)

  const unitRecords = perContributor * layout.maxRecords
  const gated = new Set(gates.map((g) => g.output))
  const plan = planStats({
    spec,
    circuit,
    schema: layout.schema,
    columns: storedColumns(layout.schema),
    policy: privacy,
    unitRecords,
    statShare: gated.size > 0 ? 1 - GATE_SHARE : 1,
  })
  const epsilonOf = new Map(plan.outputs.map((o) => [o.name, o.epsilon]))
  const familySize = new Map<string, number>()
  for (const g of gates) familySize.set(g.output, (familySize.get(g.output) ?? 0) + 1)
  const gateNoise = gates.map((gate): GateNoise => {
    const size = familySize.get(gate.output)!
    const steps = statSteps(perContributor, bound)
    // One contributor moves the family by K per contribution in at most min(maxRecords, size) gates,
    // twice (out and in), and at most min(2·K·maxRecords, size) gates by a step of rounding each.
    const touched = Math.min(layout.maxRecords, size)
    const moved = Math.min(2 * unitRecords, size)
    const familySteps = 2 * GRID_STEPS * touched + moved * (steps - GRID_STEPS)
    const epsilon = (epsilonOf.get(gate.output)! * GATE_SHARE * steps) / familySteps
    const noise = statNoise(perContributor, steps, epsilon)
    // P(Z ≥ t) ≤ exp(−t/b) for discrete Laplace Z of scale b: t = b·ln(1/p) steps of margin, plus the
    // half step of rounding and the CKKS allowance that can carry a count under the minimum upwards.
    const margin =
      noise.grid * (Math.ceil(noise.scale * Math.log(1 / falseRelease)) + (steps - GRID_STEPS) + 0.5)
    return { ...gate, noise, threshold: perContributor * (min - 1) + margin }
  })
  const pool = {
    ...plan,
    perContributor,
    unitRecords,
    minContributors: min,
    falseRelease,
    gates: gateNoise,
  }
  // The committee opens the aggregate whole: a job that leaves a slot unnoised is refused here.
  poolSlotNoise(pool, layout, circuit)
  return pool
}
