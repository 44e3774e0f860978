import type { Circuit } from '../compiler/circuit.ts'
import type { PoolLayout } from '../contribution/layout.ts'
import { CompileError, SandboxError } from '../errors.ts'
import { GRID_STEPS, type StatNoise } from './plan.ts'
import type { GateNoise, PoolPrivacyPlan } from './pool-plan.ts'

/**
 * A pool job's threshold release opens the snapshot's aggregate whole: decrypting the full
 * polynomial reveals every slot of the layout, not only the slots the spec reads. So every slot
 * must carry the noise some part of the plan charged for it. Slot j gets the noise of the stat or
 * gate the plan reads there; a layout slot the job neither reads nor gates, or reads at epsilon 0,
 * has no charged noise and the job is refused (`SLOT_UNCOVERED`): a pool's jobs buy the whole
 * layout, which is what its specs compiled to (poolManifest). Slots past the layout hold zero in
 * every honest contribution and get no noise.
 */
export function poolSlotNoise(
  plan: Pick<PoolPrivacyPlan, 'stats' | 'gates'>,
  layout: PoolLayout,
  circuit: Pick<Circuit, 'stats'>,
): StatNoise[] {
  const byKey = new Map<string, StatNoise>()
  const widest = (key: string, noise: StatNoise) => {
    const had = byKey.get(key)
    // Two reads of one slot see one noisy value: the wider noise serves both plans.
    if (!had || noise.std > had.std) byKey.set(key, noise)
  }
  circuit.stats.forEach((s, i) => {
    const noise = plan.stats[i]
    if (noise && noise.epsilon > 0) widest(s.key, noise)
  })
  for (const g of plan.gates) if (g.noise.epsilon > 0) widest(g.key, g.noise)
  return layout.monomials.map((key, j) => {
    const noise = byKey.get(key)
    if (!noise) {
      throw new CompileError(
        'SLOT_UNCOVERED',
        `layout.monomials.${j}: "${key}" is opened with the whole aggregate but the job neither releases nor gates it, so no noise is charged for it; a pool job must read every slot of the pool's layout`,
        { field: `layout.monomials.${j}` },
      )
    }
    return noise
  })
}

/** P(|Z| > TAIL·b) < 2^-69 for a discrete Laplace Z of scale b: the width a slot's noise is bounded by. */
const TAIL = 48

/**
 * Refuses (`NOISE_TOO_WIDE`) a release whose t noises could carry a slot past what its one prime
 * decrypts. Every slot's total is within ±recordBound (each record adds a monomial in [-1, 1]);
 * each member adds at most TAIL·b·γ per slot, except with probability 2^-69. A polynomial's
 * coefficients are within scale × its largest slot, so the opening stays centred while
 * scale·(recordBound + members·TAIL·max b·γ) ≤ q0/4: the same quarter of the prime a pool's
 * capacity keeps (capacityOf), the other quarter left for encryption and smudging noise.
 * A full pool therefore cannot be opened; the slots' noise takes its share of the capacity.
 */
export function checkSlotCapacity(
  slotNoise: readonly StatNoise[],
  recordBound: number,
  members: number,
  scale: number,
  prime: bigint,
): void {
  const widest = slotNoise.reduce((w, n) => Math.max(w, n.scale * n.grid), 0)
  const need = scale * (recordBound + members * TAIL * widest)
  if (!(Number.isFinite(need) && need <= Number(prime) / 4)) {
    throw new SandboxError(
      'NOISE_TOO_WIDE',
      `${members} members' slot noise (up to ${widest.toPrecision(3)} per member per slot, ×${TAIL} for its tail) on totals of up to ${recordBound} records at scale 2^${Math.log2(scale).toFixed(1)} does not fit the aggregate's prime`,
      { field: 'plan' },
    )
  }
}

/**
 * The plan as the buyer of a slot release sees it. Each slot carries `members` independent noises of
 * the plan's scale, plus the t members' smudging (standard deviation `smudgingStd` per slot): every
 * deviation is √(members·std² + smudgingStd²), every stated 95% error grows by the largest such
 * factor among the stats its output reads, and every gate's threshold is raised so that a sum of
 * `members` noises still lets a number describing fewer than the minimum through with probability at
 * most the plan's falseRelease.
 */
export function committeePoolPlan(
  plan: PoolPrivacyPlan,
  members: number,
  smudgingStd: number,
  smudgingBound: number,
): PoolPrivacyPlan {
  const wider = (n: StatNoise): StatNoise => ({
    ...n,
    std: Math.sqrt(members * n.std ** 2 + smudgingStd ** 2),
  })
  const stats = plan.stats.map(wider)
  const outputs = plan.outputs.map((o) => {
    const factor = o.stats.reduce(
      (f, i) => Math.max(f, plan.stats[i]!.std > 0 ? stats[i]!.std / plan.stats[i]!.std : 1),
      Math.sqrt(members),
    )
    return {
      ...o,
      error95: Object.fromEntries(Object.entries(o.error95).map(([k, v]) => [k, v * factor])),
    }
  })
  const gates = plan.gates.map(
    (g): GateNoise => ({
      ...g,
      noise: wider(g.noise),
      threshold:
        plan.perContributor * (plan.minContributors - 1) +
        g.noise.grid *
          (Math.ceil(sumTail(g.noise.scale, members, plan.falseRelease)) +
            (g.noise.steps - GRID_STEPS) +
            0.5) +
        smudgingBound,
    }),
  )
  return { ...plan, stats, outputs, gates }
}

/**
 * A margin m (in grid steps) with P(Z_1 + … + Z_members ≥ m) ≤ p for independent Laplace Z_i of scale
 * b: the Chernoff bound exp(−λm)·(1 − b²λ²)^−members, minimized over λ in (0, 1/b) on a fine grid.
 * The members' noise is discrete Laplace at a 2^-40 fraction of a grid step, whose moment generating
 * function is the continuous one's to that precision; b is taken a millionth wider to cover it.
 */
export function sumTail(b: number, members: number, p: number): number {
  // A heatmap's gates share one noise: the bound is computed once per (b, members, p).
  const key = `${b}/${members}/${p}`
  const hit = tails.get(key)
  if (hit !== undefined) return hit
  const scale = b * (1 + 1e-6)
  let best = Number.POSITIVE_INFINITY
  for (let k = 1; k < 4096; k++) {
    const x = k / 4096 // λ·b
    const m = (scale * (Math.log(1 / p) - members * Math.log(1 - x * x))) / x
    if (m < best) best = m
  }
  if (tails.size > 1024) tails.clear()
  tails.set(key, best)
  return best
}

const tails = new Map<string, number>()
