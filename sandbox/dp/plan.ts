import { type Circuit, type OutputPlan, RECORD_COUNT } from '../compiler/circuit.ts'
import { CompileError } from '../errors.ts'
import type { AlgorithmSpec, OutputSpec } from '../spec/schema.ts'
import type { StoredColumn } from '../vault/layout.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import { type PrivacyPolicy, privacyOf } from '../vault/policy.ts'
import { categoriesOf, type VaultSchema } from '../vault/schema.ts'
import { accuracyOf, fieldsOf } from './accuracy.ts'
import { discreteLaplaceVariance } from './discrete-laplace.ts'

/**
 * How one stat is noised. Neighbouring vaults differ in one record replaced
 * (the record count is public in the manifest). A stat is Σ over records of
 * a product of stored columns, each in [-1, 1] (values) or {0, 1} (masks,
 * one-hots, booleans), so one record moves it by at most `sensitivity`: 1
 * when the product is in [0, 1], 2 when it is in [-1, 1].
 *
 * The decrypted stat x + e (e the CKKS error, |e| <= CKKS_ERROR_PER_RECORD
 * * recordCount) is rounded to the grid `grid` = sensitivity / GRID_STEPS,
 * and integer discrete Laplace noise of `scale` (in grid steps) is added.
 * Between neighbours the rounded value moves by at most
 * GRID_STEPS + 1 + ceil(2 |e|max / grid) steps: `steps`; scale = steps /
 * epsilon makes the stat epsilon-DP.
 */
export interface StatNoise {
  /** how far one privacy unit moves the stat: 1 or 2 per record, times the records one unit holds */
  readonly sensitivity: number
  readonly grid: number
  readonly steps: number
  readonly epsilon: number
  /** discrete Laplace scale, in grid steps */
  readonly scale: number
  /** standard deviation of the noise, in the stat's units */
  readonly std: number
}

export interface OutputPrivacy {
  readonly name: string
  /** what this output spends of the job's epsilon (0 when it reads only public facts) */
  readonly epsilon: number
  /** the stats its released values depend on */
  readonly stats: readonly number[]
  /** 95% error of each released field on a typical vault (see referenceStats) */
  readonly error95: Readonly<Record<string, number>>
}

export interface PrivacyPlan {
  readonly policy: PrivacyPolicy
  /** the job's epsilon: the sum of its stats' (basic composition) */
  readonly epsilon: number
  /** the same in millionths, rounded up: what the budget ledgers add, exactly */
  readonly epsilonMicros: number
  readonly stats: readonly StatNoise[]
  readonly outputs: readonly OutputPrivacy[]
}

export const GRID_STEPS = 64
/** A bound on the CKKS decryption error per aggregated record; ops tests measure far less (1e-6 relative). */
export const CKKS_ERROR_PER_RECORD = 2 ** -20
export const MICROS = 1_000_000

/**
 * Splits a job's epsilon over its outputs, then each output's over the
 * stats it reads, and sizes each stat's noise. An output may set its
 * epsilon; the others share what the policy's per-job limit leaves. Pure
 * and deterministic: validators charge the budget with its epsilonMicros.
 */
export function planPrivacy(spec: AlgorithmSpec, circuit: Circuit, manifest: VaultManifest): PrivacyPlan {
  const policy = privacyOf(manifest.policy)
  // Sized per record, a plan would protect a contributor's many records as if they were one.
  if (policy.unit !== 'record') {
    throw new CompileError(
      'POLICY_INVALID',
      `policy.privacy.unit: the vault protects each ${policy.unit}; plan its jobs with planPoolRelease and the snapshot's contributions`,
      { field: 'policy.privacy.unit' },
    )
  }
  return planStats({
    spec,
    circuit,
    schema: manifest.schema,
    columns: manifest.columns,
    policy,
    unitRecords: 1,
  })
}

/** What planStats needs besides the spec and circuit: the data's shape and the unit it protects. */
export interface PlanInput {
  readonly spec: AlgorithmSpec
  readonly circuit: Circuit
  readonly schema: VaultSchema
  readonly columns: readonly Pick<StoredColumn, 'name' | 'kind' | 'source'>[]
  readonly policy: PrivacyPolicy
  /**
   * The most records one privacy unit adds to the stats: 1 when the unit is a
   * record; a contributor's most contributions in the snapshot times the
   * records one contribution may hold when it is a contributor.
   */
  readonly unitRecords: number
  /** the share of each output's epsilon its stats get (1 when absent); a pool spends the rest on its contributor gates */
  readonly statShare?: number
}

/**
 * planPrivacy for any unit: a stat's sensitivity is its per-record one times
 * `unitRecords`, and a family of disjoint stats (parallel composition) is
 * sized for the most stats one unit can move at once. With unitRecords 1 it
 * is planPrivacy exactly.
 */
export function planStats(input: PlanInput): PrivacyPlan {
  const { spec, circuit, policy } = input
  const statsOf = circuit.outputs.map((o) => statsRead(o))
  const explicit = circuit.outputs.map((o, i) =>
    statsOf[i]!.length === 0 ? 0 : spec.outputs[o.name]?.epsilon,
  )
  const fixed = explicit.reduce<number>((a, e) => a + (e ?? 0), 0)
  const open = explicit.filter((e) => e === undefined).length
  const left = policy.maxEpsilonPerJob - fixed
  if (fixed > policy.maxEpsilonPerJob * (1 + 1e-12) || (open > 0 && left <= 0)) {
    throw new CompileError(
      'EPSILON_EXCEEDED',
      `outputs: the outputs ask for epsilon ${fixed}${open > 0 ? ' and more' : ''}; the vault allows ${policy.maxEpsilonPerJob} per job`,
      { field: 'outputs' },
    )
  }
  const epsilons = explicit.map((e) => e ?? left / open)

  const columns = new Map(input.schema.columns.map((c) => [c.name, c]))
  const stored = new Map(input.columns.map((c) => [c.name, c]))
  const perRecord = circuit.stats.map((stat): 1 | 2 => {
    const counts = new Map<string, number>()
    for (const f of stat.factors) counts.set(f, (counts.get(f) ?? 0) + 1)
    const signed = [...counts].some(([f, k]) => {
      const kind = stored.get(f)?.kind
      return kind === 'value' && columns.get(f)?.type !== 'boolean' && k % 2 === 1
    })
    return signed ? 2 : 1
  })
  const sensitivities = perRecord.map((s) => s * input.unitRecords)
  const steps = sensitivities.map((s) => statSteps(s, circuit.recordCount))
  const reference = referenceStats(circuit, input.schema, stored)
  const perStat = new Array<number>(circuit.stats.length).fill(0)
  const share = input.statShare ?? 1
  for (const [i, stats] of statsOf.entries()) {
    const output = circuit.outputs[i]!
    const disjointBy = partitioningColumns(spec.outputs[output.name])
    const shares = disjointBy
      ? disjointShares(disjointBy, stats, circuit, stored, input.unitRecords, steps)
      : splitWeights(output, stats, reference, sensitivities, circuit.recordCount)
    for (const [j, s] of stats.entries()) perStat[s]! += epsilons[i]! * share * shares[j]!
  }
  // A stat no output reads (none today) is never released: it gets no noise budget but stays sized.
  const noise = circuit.stats.map((_, i) => statNoise(sensitivities[i]!, steps[i]!, perStat[i]!))

  // What the ledgers charge: the outputs' epsilons as the spec and policy set them, not the float sum
  // of the per-stat split (equal up to rounding), so the charge depends on nothing but spec and policy.
  const total = epsilons.reduce((a, e, i) => a + (statsOf[i]!.length > 0 ? e : 0), 0)
  const outputs = circuit.outputs.map((o, i) => ({
    name: o.name,
    epsilon: epsilons[i]!,
    stats: statsOf[i]!,
    error95: accuracyOf(o, reference, noise, circuit.recordCount),
  }))
  return {
    policy,
    epsilon: total,
    epsilonMicros: Math.ceil(total * MICROS - 1e-6),
    stats: noise,
    outputs,
  }
}

/** The least share of an output's epsilon any of its stats gets, relative to the largest: enough to count groups. */
const MIN_RELATIVE_SHARE = 0.1

/**
 * How an output's epsilon is split over its stats. A released value f of
 * stats with Laplace noise of scale Δ_i/ε_i has variance ∝ Σ (g_i Δ_i/ε_i)^2
 * (g_i the slope of f along stat i); under Σ ε_i = ε that is least for
 * ε_i ∝ (g_i Δ_i)^(2/3). Slopes are taken at the public reference point, so
 * the split reveals nothing about the data. Stats that only decide
 * withholding (group sizes) get a floor.
 */
function splitWeights(
  output: OutputPlan,
  stats: readonly number[],
  reference: readonly number[],
  sensitivities: readonly number[],
  recordCount: number,
): number[] {
  const equal = stats.map(() => 1 / stats.length)
  if (output.op === 'histogram' || stats.length <= 1) return equal
  const base = fieldsOf(output, reference, recordCount)
  const field = base ? Object.keys(base)[0] : undefined
  if (!base || field === undefined) return equal
  const raw = stats.map((s) => {
    const h = Math.max(1e-3, 1e-6 * Math.abs(reference[s] ?? 0))
    const up = fieldsOf(
      output,
      reference.map((v, i) => (i === s ? v + h : v)),
      recordCount,
    )?.[field]
    const down = fieldsOf(
      output,
      reference.map((v, i) => (i === s ? v - h : v)),
      recordCount,
    )?.[field]
    const slope = up !== undefined && down !== undefined ? (up - down) / (2 * h) : 0
    return Number.isFinite(slope) ? Math.abs(slope * sensitivities[s]!) ** (2 / 3) : 0
  })
  const top = Math.max(...raw)
  if (!(top > 0)) return equal
  const floored = raw.map((w) => Math.max(w, MIN_RELATIVE_SHARE * top))
  const sum = floored.reduce((a, b) => a + b, 0)
  return floored.map((w) => w / sum)
}

/**
 * The columns whose categories partition the records an output counts by:
 * a record has one category of each, so the stats selecting different
 * categories are disjoint.
 */
function partitioningColumns(spec: OutputSpec | undefined): readonly string[] | undefined {
  switch (spec?.op) {
    case 'histogram':
    case 'quantiles':
      return [spec.of]
    case 'histogram2d':
      return spec.of
    case 'group_mean':
      return [spec.by]
    default:
      return undefined
  }
}

/**
 * Parallel composition for outputs that count by category (histograms,
 * heatmaps, quantiles, group means). Stats that differ only in which
 * category of a `disjointBy` column they select form a family: a record has
 * one category per column, so it adds to at most one stat of a family, and
 * one record replaced moves at most two, each by at most its sensitivity
 * (which its noise is sized for). Each family gets an equal part of the
 * output's epsilon, and each of its stats that part over the number it can
 * move at once: the output's privacy loss is still at most its epsilon,
 * while a heatmap of 2,400 cells costs each cell half its epsilon, not a
 * 2,400th.
 */
function disjointShares(
  disjointBy: readonly string[],
  stats: readonly number[],
  circuit: Circuit,
  stored: ReadonlyMap<string, { readonly kind: string; readonly source: string }>,
  unitRecords: number,
  steps: readonly number[],
): number[] {
  const familyOf = stats.map((s) => {
    const selects: string[] = []
    const rest: string[] = []
    for (const f of circuit.stats[s]?.factors ?? []) {
      const entry = stored.get(f)
      if (entry?.kind === 'onehot' && disjointBy.includes(entry.source)) selects.push(entry.source)
      else rest.push(f)
    }
    return `${selects.sort().join(',')}|${rest.join('*')}`
  })
  const sizes = new Map<string, number>()
  for (const key of familyOf) sizes.set(key, (sizes.get(key) ?? 0) + 1)
  return familyOf.map((key, j) => {
    const size = sizes.get(key)!
    const single = key.startsWith('|') || size === 1
    return 1 / sizes.size / movedShare(single ? 1 : size, unitRecords, steps[stats[j]!]!)
  })
}

/**
 * How many stats' worth of a family's epsilon one of its stats must get so
 * that the family costs at most its part. One unit of `unitRecords` records
 * replaced moves the family's stats by at most 2 × unitRecords records in
 * all (GRID_STEPS grid steps per unitRecords) and moves at most
 * min(2 × unitRecords, size) of them, each by one more step of rounding and
 * its CKKS allowance: every stat's scale is that total over the family's
 * epsilon. A record (unitRecords 1) moves two stats: 2 exactly, as the
 * family of a vault always had; a lone stat: 1.
 */
function movedShare(size: number, unitRecords: number, statSteps: number): number {
  if (size === 1) return 1
  const moved = Math.min(2 * unitRecords, size)
  return (2 * GRID_STEPS + moved * (statSteps - GRID_STEPS)) / statSteps
}

/** Grid steps a stat of this sensitivity moves between neighbours: GRID_STEPS, 1 of rounding, the CKKS allowance. */
export function statSteps(sensitivity: number, recordBound: number): number {
  const grid = sensitivity / GRID_STEPS
  return GRID_STEPS + 1 + Math.ceil((2 * CKKS_ERROR_PER_RECORD * Math.max(1, recordBound)) / grid)
}

/** The noise of a stat given its epsilon (see StatNoise). */
export function statNoise(sensitivity: number, steps: number, epsilon: number): StatNoise {
  const grid = sensitivity / GRID_STEPS
  const scale = epsilon > 0 ? steps / epsilon : Number.POSITIVE_INFINITY
  return { sensitivity, grid, steps, epsilon, scale, std: grid * Math.sqrt(discreteLaplaceVariance(scale)) }
}

/** Every stat an output's released values (and its withholding) depend on. */
export function statsRead(output: OutputPlan): number[] {
  const read = new Set<number>()
  for (const form of Object.values(output.sums)) for (const [s] of form) if (s !== RECORD_COUNT) read.add(s)
  for (const g of output.groups ?? []) read.add(g)
  return [...read].sort((a, b) => a - b)
}

/**
 * The stats of a typical vault, where the preview states the error a buyer
 * should expect before any data is touched: no cell missing, categories
 * equally likely, booleans true half the time, and each number spread
 * like a normal distribution centred in its declared range with a
 * standard deviation of a sixth of the half-range (real columns rarely
 * fill their declared range: the demo's systolic_bp, declared [80, 220],
 * has a sixth). E[s^k] of such a value is 0 for odd k and (k-1)!! / 6^k
 * for even k. Data more concentrated than this makes ratios (variances,
 * correlations, R^2) noisier than the preview says; the release states
 * the error again from the noisy data.
 */
function referenceStats(
  circuit: Circuit,
  schema: VaultSchema,
  stored: ReadonlyMap<string, Pick<StoredColumn, 'kind' | 'source'>>,
): number[] {
  const columns = new Map(schema.columns.map((c) => [c.name, c]))
  return circuit.stats.map((stat) => {
    const counts = new Map<string, number>()
    for (const f of stat.factors) counts.set(f, (counts.get(f) ?? 0) + 1)
    let expected = 1
    for (const [f, k] of counts) {
      const entry = stored.get(f)
      const column = columns.get(entry?.source ?? f)
      if (entry?.kind === 'onehot') expected /= column ? (categoriesOf(column)?.length ?? 1) : 1
      else if (entry?.kind === 'value' && column?.type === 'boolean') expected *= 0.5
      else if (entry?.kind === 'value')
        expected *= k % 2 === 1 ? 0 : doubleFactorial(k - 1) / REFERENCE_SPREAD ** k
    }
    return circuit.recordCount * expected
  })
}

const REFERENCE_SPREAD = 6

function doubleFactorial(n: number): number {
  return n <= 1 ? 1 : n * doubleFactorial(n - 2)
}
