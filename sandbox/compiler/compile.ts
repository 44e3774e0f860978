import { CompileError } from '../errors.ts'
import { PROFILES } from '../he/profiles.ts'
import { type AlgorithmSpec, type OutputSpec, TERM_PATTERN } from '../spec/schema.ts'
import { maskName, onehotName } from '../vault/layout.ts'
import type { StoredColumnEntry, VaultManifest } from '../vault/manifest.ts'
import { type Column, categoriesOf } from '../vault/schema.ts'
import { type Circuit, type LinearForm, type OutputPlan, RECORD_COUNT, type StatPlan } from './circuit.ts'
import { estimateCost } from './cost.ts'
import { MAX_LONE_RESULTS, planPacks } from './pack.ts'
import { add, affine, constant, monomialFactors, multiply, type Poly, withoutConstant } from './poly.ts'

/** What a node is willing to spend on one job. */
export interface CompileLimits {
  /** estimated single-core evaluation time, ms */
  readonly maxCostMs: number
  /** estimated peak SEAL heap, bytes */
  readonly maxMemoryBytes: number
}

/**
 * The network's limits: every node's block rules, every executor and every vault owner's agent
 * compile with these (a vault policy's maxCost lowers the cost budget), so all judge a spec alike.
 */
export const DEFAULT_LIMITS: CompileLimits = { maxCostMs: 300_000, maxMemoryBytes: 2 * 1024 ** 3 }

export interface CompileOptions {
  /**
   * Pack the stats into as few result ciphertexts as the levels allow (the
   * default). Off gives one ciphertext per stat, the layout before packing:
   * benchmarks run both side by side.
   */
  readonly pack?: boolean
  /** Pack stats with no level to spare by integer masks (the default; off: each leaves alone, as before). */
  readonly integerMasks?: boolean
  /**
   * Pack stats that have a level to spare by integer masks too where the cost model finds it
   * cheaper (the default; off: 0/1 masks for them, the layout before issue #17's sixth pass).
   */
  readonly preferIntegerMasks?: boolean
  /**
   * A circuit of at most this many stats leaves as lone stats, which need no rotation (default
   * MAX_LONE_RESULTS; 0: packed whatever the count, the layout before issue #17's eighth pass).
   */
  readonly maxLoneResults?: number
}

const DEFAULT_SIGNIFICANT_DIGITS = 6

/**
 * Turns a buyer's spec into the circuit every node evaluates on one vault,
 * or refuses it with a CompileError naming the offending field. Pure and
 * deterministic: the same spec and manifest give the same circuit anywhere.
 */
export function compile(
  spec: AlgorithmSpec,
  manifest: VaultManifest,
  limits: CompileLimits = DEFAULT_LIMITS,
  options: CompileOptions = {},
): Circuit {
  const builder = new CircuitBuilder(manifest)
  const outputs: OutputPlan[] = []
  for (const [name, output] of Object.entries(spec.outputs)) {
    const field = `outputs.${name}`
    if (!manifest.policy.allowedOps.includes(output.op)) {
      throw new CompileError('OP_NOT_ALLOWED', `${field}: the vault's policy does not allow "${output.op}"`, {
        field: `${field}.op`,
      })
    }
    if (manifest.recordCount < manifest.policy.minAggregation) {
      throw new CompileError(
        'AGGREGATION_TOO_SMALL',
        `${field}: the vault holds ${manifest.recordCount} records, fewer than its minimum aggregation of ${manifest.policy.minAggregation}`,
        { field },
      )
    }
    outputs.push(builder.output(name, output))
  }
  const profile = PROFILES[manifest.profile]
  const stats = builder.stats()
  for (const [i, stat] of stats.entries()) {
    if (stat.depth > profile.depth) {
      const field = `outputs.${builder.firstUser(i)}`
      throw new CompileError(
        'DEPTH_EXCEEDED',
        `${field}: needs multiplicative depth ${stat.depth} (Σ ${stat.key}), profile ${profile.name} allows ${profile.depth}`,
        { field },
      )
    }
    if (stat.resultLevel === 0) {
      const field = `outputs.${builder.firstUser(i)}`
      throw new CompileError(
        'HEADROOM_EXCEEDED',
        `${field}: Σ ${stat.key} over ${manifest.recordCount} records may exceed what profile ${profile.name} can decrypt at depth ${stat.depth}; use a deeper profile`,
        { field },
      )
    }
  }
  // A committee vault's result is opened one statistic at a time, as one coefficient
  // (docs/threshold.md): only integer masks keep each statistic in a coefficient of its own.
  const packs = planPacks(
    profile,
    stats,
    options.pack ?? true,
    manifest.recordCount,
    options.integerMasks ?? true,
    manifest.keyHolder === undefined,
    options.preferIntegerMasks ?? true,
    options.maxLoneResults ?? MAX_LONE_RESULTS,
  )
  const cost = estimateCost(profile, manifest.chunkCount, stats, packs)
  const maxCost = Math.min(limits.maxCostMs, manifest.policy.maxCost ?? Number.POSITIVE_INFINITY)
  if (cost.estimatedMs > maxCost) {
    throw new CompileError(
      'COST_EXCEEDED',
      `outputs: estimated cost ${Math.round(cost.estimatedMs)} ms exceeds the budget of ${maxCost} ms`,
      { field: 'outputs' },
    )
  }
  if (cost.estimatedBytes > limits.maxMemoryBytes) {
    throw new CompileError(
      'COST_EXCEEDED',
      `outputs: estimated memory ${Math.round(cost.estimatedBytes / 2 ** 20)} MiB exceeds the budget of ${Math.round(limits.maxMemoryBytes / 2 ** 20)} MiB`,
      { field: 'outputs' },
    )
  }
  return {
    version: 1,
    vaultId: manifest.vaultId,
    profile: manifest.profile,
    recordCount: manifest.recordCount,
    stats,
    packs,
    outputs,
    cost,
  }
}

/** Σ over records of one category's one-hot column, as a polynomial. */
function onehot(column: string, category: string): Poly {
  return new Map([[onehotName(column, category), 1]])
}

/** The product of `factors` with coefficient 1. */
function monomial(factors: readonly string[]): Poly {
  return new Map([[[...factors].sort().join('*'), 1]])
}

class CircuitBuilder {
  readonly #manifest: VaultManifest
  readonly #columns: Map<string, Column>
  readonly #stored: Map<string, StoredColumnEntry>
  readonly #stats = new Map<string, { factors: string[]; users: string[] }>()

  constructor(manifest: VaultManifest) {
    this.#manifest = manifest
    this.#columns = new Map(manifest.schema.columns.map((c) => [c.name, c]))
    this.#stored = new Map(manifest.columns.map((c) => [c.name, c]))
  }

  output(name: string, spec: OutputSpec): OutputPlan {
    const field = `outputs.${name}`
    const significantDigits = spec.significantDigits ?? DEFAULT_SIGNIFICANT_DIGITS
    const plan = (
      over: Set<string>,
      sums: Record<string, Poly>,
      extra: Partial<OutputPlan> = {},
    ): OutputPlan => {
      const overList = [...over].sort()
      const forms: Record<string, LinearForm> = { n: this.#linearForm(constant(1), overList, name) }
      for (const [label, poly] of Object.entries(sums)) forms[label] = this.#linearForm(poly, overList, name)
      // Counting ops read only one-hot cells, whose smallness the finisher judges per cell.
      const counting = spec.op === 'histogram' || spec.op === 'histogram2d' || spec.op === 'quantiles'
      const groups = counting ? [] : this.#groups(forms, overList, name)
      return {
        name,
        op: spec.op,
        over: overList,
        sums: forms,
        significantDigits,
        ...extra,
        ...(groups.length > 0 ? { groups } : {}),
      }
    }
    switch (spec.op) {
      case 'count': {
        if (spec.of === undefined) return plan(new Set(), {})
        return plan(new Set(this.#term(spec.of, `${field}.of`).sources), {})
      }
      case 'sum':
      case 'mean': {
        const t = this.#term(spec.of, `${field}.of`)
        return plan(new Set(t.sources), { t: t.poly })
      }
      case 'variance':
      case 'stddev': {
        const t = this.#term(spec.of, `${field}.of`)
        const tc = withoutConstant(t.poly)
        return plan(new Set(t.sources), { t: tc, tt: multiply(tc, tc) })
      }
      case 'covariance':
      case 'correlation': {
        const t = this.#term(spec.of[0], `${field}.of.0`)
        const u = this.#term(spec.of[1], `${field}.of.1`)
        const tc = withoutConstant(t.poly)
        const uc = withoutConstant(u.poly)
        return plan(new Set([...t.sources, ...u.sources]), {
          t: tc,
          u: uc,
          tu: multiply(tc, uc),
          tt: multiply(tc, tc),
          uu: multiply(uc, uc),
        })
      }
      case 'histogram': {
        const column = this.#column(spec.of, `${field}.of`)
        const categories = categoriesOf(column)
        if (!categories) {
          throw new CompileError(
            'COLUMN_TYPE',
            `${field}.of: "${spec.of}" is a ${column.type} column; histograms need a categorical or bucketed one`,
            {
              field: `${field}.of`,
            },
          )
        }
        const sums: Record<string, Poly> = {}
        for (const category of categories) sums[`bucket:${category}`] = onehot(spec.of, category)
        return plan(new Set([spec.of]), sums, { categories })
      }
      case 'histogram2d': {
        const [a, b] = spec.of
        const rows = this.#categorical(a, `${field}.of.0`, 'a heatmap')
        const columns = this.#categorical(b, `${field}.of.1`, 'a heatmap')
        const cells = rows.length * columns.length
        // Cells under the minimum are suppressed at release; a grid that cannot fill them on
        // average would release nothing but suppressions, so it is refused before any work.
        if (this.#manifest.recordCount / cells < this.#manifest.policy.minAggregation) {
          throw new CompileError(
            'AGGREGATION_TOO_SMALL',
            `${field}: ${this.#manifest.recordCount} records over ${cells} cells average fewer than the minimum aggregation of ${this.#manifest.policy.minAggregation} per cell`,
            { field },
          )
        }
        const sums: Record<string, Poly> = {}
        rows.forEach((row, i) => {
          columns.forEach((col, j) => {
            sums[`cell:${i},${j}`] = multiply(onehot(a, row), onehot(b, col))
          })
        })
        return plan(new Set([a, b]), sums, { categories: rows, crossCategories: columns })
      }
      case 'group_mean': {
        const groups = this.#categorical(spec.by, `${field}.by`, 'grouping')
        const t = this.#term(spec.of, `${field}.of`)
        if (t.sources.includes(spec.by)) {
          throw new CompileError('COLUMN_TYPE', `${field}.by: a term cannot be grouped by its own column`, {
            field: `${field}.by`,
          })
        }
        // A boolean in every monomial of the term filters the records it sums (mean of
        // flag*x sums the flagged ones): each group's filtered count must reach the minimum too.
        const filters = this.#commonBooleans(t.poly)
        const sums: Record<string, Poly> = {}
        for (const group of groups) {
          const g = onehot(spec.by, group)
          sums[`count:${group}`] = g
          sums[`sum:${group}`] = multiply(g, t.poly)
          if (filters.length > 0) sums[`filtered:${group}`] = multiply(g, monomial(filters))
        }
        return plan(new Set([spec.by, ...t.sources]), sums, { categories: groups })
      }
      case 'quantiles': {
        const column = this.#column(spec.of, `${field}.of`)
        if (column.type !== 'bucketed') {
          throw new CompileError(
            'COLUMN_TYPE',
            `${field}.of: "${spec.of}" is a ${column.type} column; quantiles need a bucketed one`,
            { field: `${field}.of` },
          )
        }
        // A quantile with fewer than the minimum aggregation of records on one side
        // locates those few records (the 0.999 quantile of 1,000 is about the largest).
        const min = this.#manifest.policy.minAggregation
        spec.q.forEach((q, i) => {
          const tail = Math.min(q, 1 - q) * this.#manifest.recordCount
          if (tail < min) {
            throw new CompileError(
              'AGGREGATION_TOO_SMALL',
              `${field}.q.${i}: the ${q} quantile of ${this.#manifest.recordCount} records leaves about ${Math.floor(tail)} on one side, fewer than the minimum aggregation of ${min}`,
              { field: `${field}.q.${i}` },
            )
          }
        })
        const categories = categoriesOf(column) ?? []
        const sums: Record<string, Poly> = {}
        for (const category of categories) sums[`bucket:${category}`] = onehot(spec.of, category)
        return plan(new Set([spec.of]), sums, {
          categories,
          edges: column.edges,
          quantiles: [...spec.q],
        })
      }
      case 'weighted_sum': {
        const { poly, sources } = this.#linear(spec.weights, 0, `${field}.weights`)
        return plan(sources, { w: poly })
      }
      case 'linear_model_fit': {
        const { poly: prediction, sources } = this.#linear(
          spec.model.weights,
          spec.model.bias,
          `${field}.model.weights`,
        )
        const label = this.#term(spec.label, `${field}.label`)
        const residual = add(label.poly, prediction, -1)
        const yc = withoutConstant(label.poly)
        sources.add(spec.label)
        return plan(sources, { e2: multiply(residual, residual), y: yc, yy: multiply(yc, yc) })
      }
    }
  }

  stats(): StatPlan[] {
    const profile = PROFILES[this.#manifest.profile]
    const dataBits = profile.coeffModulusBits.slice(0, -1)
    const needBits = Math.ceil(Math.log2(Math.max(2, this.#manifest.recordCount))) + profile.scaleBits + 2
    return [...this.#stats.entries()].map(([key, { factors }]) => {
      const depth = factors.length <= 1 ? 0 : Math.ceil(Math.log2(factors.length))
      // The result may sit at any level its product tree leaves it at or
      // below; the lowest with room for the bound makes rotations cheapest.
      let resultLevel = 0
      for (let level = 1; level <= dataBits.length - depth; level++) {
        const bits = dataBits.slice(0, level).reduce((a, b) => a + b, 0)
        if (bits >= needBits) {
          resultLevel = level
          break
        }
      }
      return { key, factors, depth, resultLevel }
    })
  }

  firstUser(statIndex: number): string {
    return [...this.#stats.values()][statIndex]?.users[0] ?? ''
  }

  #column(name: string, field: string): Column {
    const column = this.#columns.get(name)
    if (!column)
      throw new CompileError('UNKNOWN_COLUMN', `${field}: the vault has no column "${name}"`, { field })
    return column
  }

  /** The categories (or bucket labels) of a column an op splits records by; `what` names the op in the refusal. */
  #categorical(name: string, field: string, what: string): string[] {
    const column = this.#column(name, field)
    const categories = categoriesOf(column)
    if (!categories) {
      throw new CompileError(
        'COLUMN_TYPE',
        `${field}: "${name}" is a ${column.type} column; ${what} needs a categorical or bucketed one`,
        { field },
      )
    }
    return categories
  }

  /** Boolean columns that are factors of every monomial of `poly` (none if it has a constant). */
  #commonBooleans(poly: Poly): string[] {
    let common: string[] | undefined
    for (const key of poly.keys()) {
      const booleans = monomialFactors(key).filter((f) => this.#columns.get(f)?.type === 'boolean')
      common = common === undefined ? booleans : common.filter((f) => booleans.includes(f))
    }
    return [...new Set(common ?? [])].sort()
  }

  #valueColumn(name: string, field: string): Poly {
    const column = this.#column(name, field)
    const stored = this.#stored.get(name)
    if (stored?.kind !== 'value' || stored.center === undefined || stored.halfWidth === undefined) {
      throw new CompileError(
        'COLUMN_TYPE',
        `${field}: "${name}" is a ${column.type} column; this op needs a number, integer or boolean`,
        {
          field,
        },
      )
    }
    return affine(name, stored.center, stored.halfWidth)
  }

  #term(term: string, field: string): { poly: Poly; sources: string[] } {
    const m = TERM_PATTERN.exec(term)
    if (!m) throw new CompileError('SPEC_INVALID', `${field}: "${term}" is not a term`, { field })
    const a = m[1]!
    const b = term.endsWith('^2') ? a : m[2]
    const pa = this.#valueColumn(a, field)
    if (b === undefined) return { poly: pa, sources: [a] }
    return { poly: multiply(pa, this.#valueColumn(b, field)), sources: [...new Set([a, b])] }
  }

  #linear(
    weights: Record<string, number>,
    bias: number,
    field: string,
  ): { poly: Poly; sources: Set<string> } {
    let poly = constant(bias)
    const sources = new Set<string>()
    for (const [term, weight] of Object.entries(weights)) {
      // A zero weight adds nothing to the sum but still narrows the records
      // summed to those where its column is present: a selector, not a weight.
      if (weight === 0) {
        throw new CompileError(
          'ZERO_WEIGHT',
          `${field}.${term}: a weight of 0 is refused; leave the term out`,
          {
            field: `${field}.${term}`,
          },
        )
      }
      const t = this.#term(term, `${field}.${term}`)
      poly = add(poly, t.poly, weight)
      for (const s of t.sources) sources.add(s)
    }
    return { poly, sources }
  }

  /**
   * The filters hidden in an output's sums: a boolean factor zeroes every
   * record where it is false, so a sum whose every stat carries `flag`
   * (Σ flag*age = c Σ flag + h Σ flag*age') sums only the flagged records,
   * whatever `n` says. Returns the stat counting each such group. A factor
   * in only some of a sum's stats (smoker in a model's residual) filters
   * nothing: the other stats sum over every record.
   */
  #groups(forms: Record<string, LinearForm>, over: string[], user: string): number[] {
    const stats = [...this.#stats.keys()]
    const nIndex = forms.n?.[0]?.[0]
    const groups = new Set<number>()
    for (const [label, form] of Object.entries(forms)) {
      if (label === 'n' || form.length === 0) continue
      let common: Set<string> | undefined
      for (const [index] of form) {
        const filters = new Set(
          index === RECORD_COUNT
            ? []
            : monomialFactors(stats[index] ?? '').filter((f) => this.#columns.get(f)?.type === 'boolean'),
        )
        common = common === undefined ? filters : new Set([...common].filter((f) => filters.has(f)))
      }
      if (!common || common.size === 0) continue
      const group = this.#stat([...common].sort(), over, user)
      if (group !== null && group !== nIndex) groups.add(group)
    }
    return [...groups].sort((a, b) => a - b)
  }

  /** Σ over the records where every column of `over` is present, as stats. */
  #linearForm(poly: Poly, over: string[], user: string): LinearForm {
    const form: Array<readonly [number, number]> = []
    for (const [monomial, coef] of poly) {
      const index = this.#stat(monomialFactors(monomial), over, user)
      if (index !== null) form.push([index, coef])
    }
    return form
  }

  /**
   * Registers Σ_r Π factors(r) restricted to `over`. Stored columns are 0
   * where their source is missing, so a source's mask is needed only if no
   * other factor of that source is present. Returns null for a product that
   * is identically zero (two one-hot buckets of one column), which SEAL
   * would refuse to compute as a transparent ciphertext anyway.
   */
  #stat(monomial: string[], over: string[], user: string): number | null {
    const factors = [...monomial]
    const binary = new Set<string>()
    const onehotOf = new Map<string, string>()
    for (const f of monomial) {
      const stored = this.#stored.get(f)
      // A 0/1 column is its own square: Σ smoker*smoker is Σ smoker, one stat fewer and one level less.
      if (stored?.kind === 'value' && this.#columns.get(stored.source)?.type === 'boolean') binary.add(f)
      if (stored?.kind === 'onehot') {
        const other = onehotOf.get(stored.source)
        if (other !== undefined && other !== f) return null
        onehotOf.set(stored.source, f)
        binary.add(f)
      }
    }
    const covered = new Set(factors.map((f) => this.#stored.get(f)?.source))
    for (const source of over) {
      if (this.#columns.get(source)?.nullable && !covered.has(source)) binary.add(maskName(source))
    }
    const all = [...factors.filter((f) => !binary.has(f)), ...binary].sort()
    if (all.length === 0) return RECORD_COUNT
    const key = all.join('*')
    let entry = this.#stats.get(key)
    if (!entry) {
      entry = { factors: all, users: [] }
      this.#stats.set(key, entry)
    }
    if (!entry.users.includes(user)) entry.users.push(user)
    return [...this.#stats.keys()].indexOf(key)
  }
}
