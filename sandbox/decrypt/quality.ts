import type { Circuit } from '../compiler/circuit.ts'
import type { Expect } from '../spec/schema.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import type { FinishedOutputs, OutputValue, Withheld } from './finish.ts'

/**
 * The data-quality score: how well this vault serves this buyer's spec, in
 * [0, 1], with each component shown. Components are in [0, 1] and the score
 * is their geometric mean, so one failing dimension pulls the score down
 * hard instead of being averaged away. Values are fixed-point (1e-6) so
 * that what is signed is identical wherever it is computed.
 */
export interface QualityScore {
  readonly score: number
  readonly components: {
    /** records aggregated vs expect.minRecords */
    readonly sampleSize: number
    /** 1 - missing rate over the columns the spec reads, vs expect.maxMissingRate */
    readonly completeness: number
    /** share of outputs inside the declared column ranges and expect.ranges */
    readonly plausibility: number
    /** R^2 of the buyer's models vs expect.minR2 (1 when the spec fits no model) */
    readonly fitness: number
  }
  readonly details: readonly string[]
}

const FIXED = 1e6
const fixed = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * FIXED) / FIXED

export function qualityScore(
  manifest: VaultManifest,
  circuit: Circuit,
  finished: FinishedOutputs,
  expect: Expect,
): QualityScore {
  const details: string[] = []
  const records = Math.min(...Object.values(finished.counts), manifest.recordCount)

  const minRecords = expect.minRecords ?? 1
  const sampleSize = Math.min(1, records / minRecords)
  details.push(`sample size: ${records} records aggregated, ${minRecords} expected`)

  // Completeness: per output the share of the vault's records it could use.
  const used = circuit.outputs.filter((o) => o.over.length > 0)
  const missingRate =
    used.length === 0 || manifest.recordCount === 0
      ? 0
      : Math.max(...used.map((o) => 1 - (finished.counts[o.name] ?? 0) / manifest.recordCount))
  const tolerated = expect.maxMissingRate ?? 0
  const completeness =
    missingRate <= tolerated ? 1 : Math.max(0, 1 - (missingRate - tolerated) / Math.max(1e-9, 1 - tolerated))
  details.push(
    `completeness: ${(missingRate * 100).toFixed(2)}% missing at worst, ${(tolerated * 100).toFixed(2)}% tolerated`,
  )

  let checks = 0
  let passed = 0
  const columns = new Map(manifest.schema.columns.map((c) => [c.name, c]))
  for (const plan of circuit.outputs) {
    const out = finished.outputs[plan.name]
    if (!out || 'withheld' in out) continue
    const value = scalar(out)
    const expected = expect.ranges?.[plan.name]
    if (expected && value !== undefined) {
      checks++
      if (value >= expected[0] && value <= expected[1]) passed++
      else
        details.push(
          `plausibility: ${plan.name} = ${value} outside the expected [${expected[0]}, ${expected[1]}]`,
        )
    }
    // Moments of a single declared column must respect its declared range.
    const column = plan.over.length === 1 ? columns.get(plan.over[0]!) : undefined
    if (column && (column.type === 'number' || column.type === 'integer') && value !== undefined) {
      const halfRange = (column.max - column.min) / 2
      const bound =
        plan.op === 'mean'
          ? [column.min, column.max]
          : plan.op === 'stddev'
            ? [0, halfRange]
            : plan.op === 'variance'
              ? [0, halfRange ** 2]
              : undefined
      if (bound) {
        checks++
        if (value >= bound[0]! && value <= bound[1]!) passed++
        else
          details.push(
            `plausibility: ${plan.name} = ${value} impossible for ${column.name} in [${column.min}, ${column.max}]`,
          )
      }
    }
  }
  const plausibility = checks === 0 ? 1 : passed / checks
  details.push(`plausibility: ${passed}/${checks} checks passed`)

  const r2s = Object.values(finished.outputs).flatMap((o) => ('r2' in o ? [o.r2] : []))
  let fitness = 1
  if (r2s.length > 0) {
    const worst = Math.min(...r2s)
    const minR2 = expect.minR2
    fitness =
      minR2 === undefined
        ? Math.max(0, worst)
        : worst >= minR2
          ? 1
          : Math.max(0, worst) / Math.max(1e-9, minR2)
    details.push(`fitness: worst R^2 ${worst}${minR2 === undefined ? '' : `, ${minR2} expected`}`)
  }

  const components = {
    sampleSize: fixed(sampleSize),
    completeness: fixed(completeness),
    plausibility: fixed(plausibility),
    fitness: fixed(fitness),
  }
  const parts = Object.values(components)
  const score = fixed(parts.reduce((a, b) => a * b, 1) ** (1 / parts.length))
  return { score, components, details }
}

function scalar(out: OutputValue | Withheld): number | undefined {
  if ('value' in out) return out.value
  if ('r2' in out) return out.r2
  return undefined
}
