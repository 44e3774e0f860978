import type { Circuit, OutputPlan } from '../compiler/circuit.ts'
import { CompileError } from '../errors.ts'

/** The prefix of a slot that counts contributors rather than records. */
export const CONTRIBUTORS = 'contributors:'

/** The slot key counting the contributions with at least one record in `monomial` (a stat key): a contributor with K of them counts K times. */
export function contributorsOf(monomial: string): string {
  return `${CONTRIBUTORS}${monomial}`
}

/**
 * A released number of a pool that must describe at least the pool's
 * minimum of contributors: a histogram or quantiles bucket, a heatmap cell,
 * a group of a group mean. `stat` is the one stat counting its records (a
 * product of one-hots and masks); `key`, the layout slot counting the
 * contributions with at least one record in it.
 */
export interface Gate {
  readonly output: string
  /** the label of its count in the output's sums: `cell:3,7`, `bucket:30-39`, `count:g7`, `filtered:g7` */
  readonly label: string
  readonly stat: number
  readonly key: string
}

/**
 * The sums each pool op releases a number per, by label prefix. A group
 * mean's `filtered:` count (the group's records a boolean in its term
 * selects) is gated too: the mean's numerator describes only those.
 */
const GATED: Partial<Record<OutputPlan['op'], readonly string[]>> = {
  histogram: ['bucket:'],
  quantiles: ['bucket:'],
  histogram2d: ['cell:'],
  group_mean: ['count:', 'filtered:'],
}

/** The ops a pool's jobs may use: those whose every released number is gated. */
export const POOL_OPS = Object.keys(GATED) as ReadonlyArray<OutputPlan['op']>

/** Every gate of a circuit's outputs, in output and label order; an output of another op has none. */
export function gatesOf(circuit: Pick<Circuit, 'stats' | 'outputs'>): Gate[] {
  const gates: Gate[] = []
  for (const output of circuit.outputs) {
    const prefixes = GATED[output.op]
    if (prefixes === undefined) continue
    for (const [label, form] of Object.entries(output.sums)) {
      if (!prefixes.some((p) => label.startsWith(p))) continue
      const [term, ...rest] = form
      const stat = term?.[0]
      if (stat === undefined || stat < 0 || term![1] !== 1 || rest.length > 0) {
        throw new CompileError(
          'OP_NOT_ALLOWED',
          `outputs.${output.name}: ${label} is not one count, so no slot can count its contributors`,
          { field: `outputs.${output.name}` },
        )
      }
      gates.push({ output: output.name, label, stat, key: contributorsOf(circuit.stats[stat]!.key) })
    }
  }
  return gates
}
