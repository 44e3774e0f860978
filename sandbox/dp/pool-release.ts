import type { Circuit } from '../compiler/circuit.ts'
import { type PoolLayout, poolSlot, poolStats } from '../contribution/layout.ts'
import type { OutputValue, Withheld } from '../decrypt/finish.ts'
import type { Expect } from '../spec/schema.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import { onStatGrid } from './committee-noise.ts'
import type { PoolPrivacyPlan } from './pool-plan.ts'
import type { RandomSource } from './random.ts'
import { noisyStat, type ReleasedResult, releaseNoisy, releaseOutputs } from './release.ts'

export interface PoolReleaseInput {
  /** the pool's manifest: its policy's minAggregation (records) applies too, and the quality score reads it */
  readonly manifest: VaultManifest
  readonly circuit: Circuit
  readonly plan: PoolPrivacyPlan
  readonly layout: PoolLayout
  readonly expect: Expect
  /** the snapshot's aggregate, decrypted: one value per layout slot */
  readonly slots: ArrayLike<number>
  readonly random: RandomSource
}

/**
 * A job's release on a pool snapshot: releaseOutputs with the contributor
 * plan, then every gated number (cell, bucket, group, the bucket a quantile
 * falls in) whose noisy contributor count is under its gate's threshold
 * is suppressed (null), never merged. The gates read only their own noisy
 * slots, charged in the plan, so suppressing spends nothing more.
 */
export function releasePool(input: PoolReleaseInput): ReleasedResult {
  const { plan, layout, slots, random, circuit } = input
  const gateValues = plan.gates.map((g) => noisyStat(poolSlot(layout, g.key, slots), g.noise, random))
  const failing = failingGates(plan, gateValues)
  const released = releaseOutputs({
    manifest: input.manifest,
    circuit,
    plan,
    expect: input.expect,
    stats: poolStats(layout, circuit, slots),
    random,
  })
  return suppressed(released, failing, circuit)
}

export type PoolNoisyReleaseInput = Omit<PoolReleaseInput, 'random'>

/**
 * releasePool for slots that already carry their privacy noise (a committee's slot release, each
 * member's noise in its share): each slot goes on its grid, post-processing, and the gates and
 * outputs are read from those values. `plan` is the one the noise was drawn from, as the buyer
 * sees it (committeePoolPlan: t noises, smudging, widened gate thresholds). As with the
 * committee's release of a vault, the quality score is the block's, so outputs are not withheld
 * for it here.
 */
export function releasePoolNoisy(input: PoolNoisyReleaseInput): ReleasedResult {
  const { plan, layout, slots, circuit } = input
  const gateValues = plan.gates.map((g) => onStatGrid(poolSlot(layout, g.key, slots), g.noise))
  const failing = failingGates(plan, gateValues)
  const noisy = poolStats(layout, circuit, slots).map((v, i) => onStatGrid(v, plan.stats[i]!))
  const released = releaseNoisy({ manifest: input.manifest, circuit, plan, expect: input.expect, noisy })
  return suppressed(released, failing, circuit)
}

/** The labels of each output's gates whose noisy count is under their threshold; zeroes the values. */
function failingGates(plan: PoolPrivacyPlan, gateValues: number[]): Map<string, Set<string>> {
  const failing = new Map<string, Set<string>>()
  plan.gates.forEach((g, i) => {
    if (gateValues[i]! >= g.threshold) return
    const set = failing.get(g.output) ?? new Set<string>()
    set.add(g.label)
    failing.set(g.output, set)
  })
  gateValues.fill(0)
  return failing
}

function suppressed(
  released: ReleasedResult,
  failing: ReadonlyMap<string, ReadonlySet<string>>,
  circuit: Circuit,
): ReleasedResult {
  const outputs: Record<string, OutputValue | Withheld> = {}
  for (const [name, out] of Object.entries(released.finished.outputs)) {
    const fail = failing.get(name)
    const output = circuit.outputs.find((o) => o.name === name)
    outputs[name] =
      !fail || !output || 'withheld' in out
        ? out
        : gated(out, fail, output.edges ?? [], output.categories ?? [])
  }
  return { ...released, finished: { ...released.finished, outputs } }
}

/** An output with its failing gates' numbers nulled, and their stated errors dropped with them. */
function gated(
  out: OutputValue,
  fail: ReadonlySet<string>,
  edges: readonly number[],
  categories: readonly string[],
): OutputValue {
  const without = (error95: Readonly<Record<string, number>> | undefined, drop: readonly string[]) =>
    error95 && Object.fromEntries(Object.entries(error95).filter(([k]) => !drop.includes(k)))
  switch (out.op) {
    case 'histogram': {
      const buckets = Object.fromEntries(
        Object.entries(out.buckets).map(([b, v]) => [b, fail.has(`bucket:${b}`) ? null : v]),
      )
      return { ...out, buckets }
    }
    case 'histogram2d': {
      const cells = out.cells.map((row, i) => row.map((v, j) => (fail.has(`cell:${i},${j}`) ? null : v)))
      return { ...out, cells }
    }
    case 'group_mean': {
      const dropped = Object.keys(out.groups).filter(
        (g) => fail.has(`count:${g}`) || fail.has(`filtered:${g}`),
      )
      const groups = Object.fromEntries(
        Object.entries(out.groups).map(([g, v]) => [g, dropped.includes(g) ? null : v]),
      )
      return {
        ...out,
        groups,
        error95: without(
          out.error95,
          dropped.map((g) => `mean:${g}`),
        ),
      }
    }
    case 'quantiles': {
      // A quantile is read off the bucket it falls in: that bucket must reach the minimum. At an edge
      // (a bucket's top is its neighbour's bottom) or within half its rounding grid of one, it may
      // have come from either side, so both must.
      const fails = (q: string, v: number) => {
        const half = (out.grid?.[q] ?? 0) / 2
        return categories.some(
          (c, k) => v >= edges[k]! - half && v <= edges[k + 1]! + half && fail.has(`bucket:${c}`),
        )
      }
      const dropped = Object.entries(out.quantiles)
        .filter(([q, v]) => v !== null && fails(q, v))
        .map(([q]) => q)
      const quantiles = Object.fromEntries(
        Object.entries(out.quantiles).map(([q, v]) => [q, dropped.includes(q) ? null : v]),
      )
      return { ...out, quantiles, error95: without(out.error95, dropped) }
    }
    default:
      return out
  }
}
