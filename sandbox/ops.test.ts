import { parse } from 'csv-parse/sync'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OutputValue } from './decrypt/finish.ts'
import { Evaluator } from './evaluator/evaluator.ts'
import { type PlainValue, plaintextOutputs } from './reference/plaintext.ts'
import { withinStatedError } from './reference/within-error.ts'
import { trustedRun } from './run.ts'
import { parseSpec } from './spec/parse.ts'
import type { AlgorithmSpec } from './spec/schema.ts'
import { exactRun } from './testing/exact-run.ts'
import { OPEN_POLICY, relativeError, TEST_PASSPHRASE, type Workspace, workspace } from './testing/fixtures.ts'
import type { VaultSchema } from './vault/schema.ts'

/**
 * Every op, homomorphically, against the same statistic in plain
 * TypeScript on the same CSV, before the privacy release adds its noise
 * (sandbox/dp/release.test.ts checks released values against their stated
 * errors). Achieved with the default profile: relative
 * error below 1e-6 on every moment (released values are rounded to 10
 * significant digits here, so the comparison sees the HE error itself).
 */
const TOLERANCE = 1e-6

const schema: VaultSchema = {
  columns: [
    { name: 'x', type: 'number', min: -50, max: 150, nullable: true },
    { name: 'y', type: 'integer', min: 0, max: 1000, nullable: false },
    { name: 'z', type: 'number', min: 0, max: 10, nullable: true },
    { name: 'flag', type: 'boolean', nullable: false },
    { name: 'grp', type: 'categorical', categories: ['a', 'b', 'c'], nullable: true },
    { name: 'band', type: 'bucketed', edges: [0, 10, 20, 50], nullable: false },
  ],
}

function syntheticCsv(rows: number, seed: number): string {
  let s = seed >>> 0
  const rnd = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
    return s / 2 ** 32
  }
  const lines = ['x,y,z,flag,grp,band']
  for (let i = 0; i < rows; i++) {
    const x = -50 + 200 * rnd()
    const y = Math.round(300 + 2 * x + 100 * rnd())
    const z = 10 * rnd()
    lines.push(
      [
        rnd() < 0.05 ? '' : x.toFixed(3),
        Math.min(1000, Math.max(0, y)),
        rnd() < 0.1 ? 'NA' : z.toFixed(4),
        rnd() < 0.3 ? 'true' : 'false',
        rnd() < 0.04 ? '' : ['a', 'b', 'c'][Math.floor(rnd() * 3)],
        (50 * rnd()).toFixed(2),
      ].join(','),
    )
  }
  return `${lines.join('\n')}\n`
}

function compare(name: string, actual: OutputValue, expected: PlainValue): void {
  if (actual.op === 'histogram') {
    expect(actual.buckets, name).toEqual(expected)
  } else if (actual.op === 'histogram2d') {
    expect(actual.cells, name).toEqual((expected as { cells: number[][] }).cells)
  } else if (actual.op === 'group_mean') {
    const e = (expected as { groups: Record<string, { mean: number; count: number }> }).groups
    expect(Object.keys(actual.groups), name).toEqual(Object.keys(e))
    for (const [g, v] of Object.entries(actual.groups)) {
      expect(v, `${name}.${g}`).not.toBeNull()
      expect(v!.count, `${name}.${g}.count`).toBe(e[g]!.count)
      expect(relativeError(v!.mean, e[g]!.mean, 1e-3), `${name}.${g}.mean`).toBeLessThan(TOLERANCE)
    }
  } else if (actual.op === 'quantiles') {
    // Interpolated within the bucket from exact counts: off from the true quantile by less than its bucket.
    for (const [q, v] of Object.entries(expected as Record<string, number>)) {
      const released = actual.quantiles[q]
      expect(released, `${name}.${q}`).not.toBeNull()
      expect(Math.abs(released! - v), `${name}.${q}: ${released} vs ${v}`).toBeLessThanOrEqual(30)
    }
  } else if (actual.op === 'linear_model_fit') {
    const e = expected as { r2: number; sse: number; sst: number; n: number }
    expect(actual.n, name).toBe(e.n)
    expect(relativeError(actual.sse, e.sse), `${name}.sse`).toBeLessThan(TOLERANCE)
    expect(relativeError(actual.sst, e.sst), `${name}.sst`).toBeLessThan(TOLERANCE)
    expect(Math.abs(actual.r2 - e.r2), `${name}.r2`).toBeLessThan(TOLERANCE)
  } else {
    expect(
      relativeError(actual.value, expected as number, 1e-3),
      `${name}: ${actual.value} vs ${expected}`,
    ).toBeLessThan(TOLERANCE)
  }
}

describe('every op matches plaintext', () => {
  let ws: Workspace
  let evaluator: Evaluator
  beforeAll(async () => {
    ws = await workspace()
    evaluator = new Evaluator({ workers: 1 })
    evaluator.start()
  })
  /** The homomorphic run of a spec on a vault, and the same statistics in plaintext from its CSV. */
  const runWithTruth = async (dir: string, csv: string, spec: AlgorithmSpec) => ({
    result: { finished: await exactRun(evaluator, dir, ws.keysDir, TEST_PASSPHRASE, spec) },
    truth: plaintextOutputs(parse(csv, { columns: true }), schema, spec),
  })

  afterAll(async () => {
    await evaluator.stop()
    await ws?.dispose()
  })

  it('computes count, moments, pairwise stats, histograms, weighted sums and model fits', async () => {
    const csv = syntheticCsv(5000, 7)
    const { dir } = await ws.vault('ops', csv, schema)
    const digits = 10
    const spec: AlgorithmSpec = parseSpec({
      version: 1,
      outputs: {
        n_all: { op: 'count' },
        n_z: { op: 'count', of: 'z' },
        sum_y: { op: 'sum', of: 'y', significantDigits: digits },
        mean_x: { op: 'mean', of: 'x', significantDigits: digits },
        mean_flag: { op: 'mean', of: 'flag', significantDigits: digits },
        mean_xz: { op: 'mean', of: 'x*z', significantDigits: digits },
        var_x: { op: 'variance', of: 'x', significantDigits: digits },
        sd_y: { op: 'stddev', of: 'y', significantDigits: digits },
        var_z2: { op: 'variance', of: 'z^2', significantDigits: digits },
        cov_xy: { op: 'covariance', of: ['x', 'y'], significantDigits: digits },
        corr_xy: { op: 'correlation', of: ['x', 'y'], significantDigits: digits },
        corr_zy: { op: 'correlation', of: ['z', 'y'], significantDigits: digits },
        hist_grp: { op: 'histogram', of: 'grp' },
        hist_band: { op: 'histogram', of: 'band' },
        heat: { op: 'histogram2d', of: ['grp', 'band'] },
        y_by_grp: { op: 'group_mean', of: 'y', by: 'grp', significantDigits: digits },
        x_by_band: { op: 'group_mean', of: 'x', by: 'band', significantDigits: digits },
        flag_y_by_grp: { op: 'group_mean', of: 'flag*y', by: 'grp', significantDigits: digits },
        band_q: { op: 'quantiles', of: 'band', q: [0.1, 0.5, 0.9], significantDigits: digits },
        wsum: { op: 'weighted_sum', weights: { x: 0.5, y: -2, flag: 3 }, significantDigits: digits },
        fit: {
          op: 'linear_model_fit',
          model: { weights: { x: 2, flag: 1 }, bias: 350 },
          label: 'y',
          significantDigits: digits,
        },
      },
    })
    const { result, truth } = await runWithTruth(dir, csv, spec)
    for (const [name, out] of Object.entries(result.finished.outputs)) {
      expect('withheld' in out, `${name} withheld`).toBe(false)
      compare(name, out as OutputValue, truth[name]!)
    }
  })

  it('releases heatmaps, group means and quantiles within their stated errors (with the privacy noise)', async () => {
    const csv = syntheticCsv(8000, 11)
    const { dir } = await ws.vault('market', csv, schema)
    const spec = parseSpec({
      version: 1,
      outputs: {
        heat: { op: 'histogram2d', of: ['grp', 'band'], epsilon: 0.3 },
        y_by_grp: { op: 'group_mean', of: 'y', by: 'grp', epsilon: 0.3 },
        band_q: { op: 'quantiles', of: 'band', q: [0.25, 0.5, 0.75], epsilon: 0.3 },
      },
    })
    const result = await trustedRun({
      vaultDir: dir,
      spec,
      keysDir: ws.keysDir,
      passphrase: TEST_PASSPHRASE,
      evaluator,
    })
    const truth = plaintextOutputs(parse(csv, { columns: true }), schema, spec)
    for (const [name, out] of Object.entries(result.finished.outputs)) {
      const check = withinStatedError(out, truth[name], OPEN_POLICY.minAggregation)
      expect(check.ok, `${name}: ${check.released} vs ${check.truth}`).toBe(true)
      expect(out, name).toHaveProperty('error95')
    }
    expect(result.privacy.epsilon).toBeCloseTo(0.9, 12)
  })

  it('holds for heatmaps, group means and quantiles on random datasets (property)', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 300, max: 4500 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom('x', 'y', 'z', 'flag*y'),
        fc.constantFrom('grp', 'band'),
        async (rows, seed, of, by) => {
          const csv = syntheticCsv(rows, seed)
          const { dir } = await ws.vault(`market-prop-${run++}`, csv, schema)
          const spec = parseSpec({
            version: 1,
            outputs: {
              heat: { op: 'histogram2d', of: ['grp', 'band'] },
              means: { op: 'group_mean', of, by, significantDigits: 10 },
              q: { op: 'quantiles', of: 'band', q: [0.2, 0.5, 0.8], significantDigits: 10 },
            },
          })
          const { result, truth } = await runWithTruth(dir, csv, spec)
          for (const [name, out] of Object.entries(result.finished.outputs)) {
            // a group or cell under the minimum aggregation (5) is suppressed: compare the rest
            if ('withheld' in out) throw new Error(`${name} withheld`)
            if (out.op === 'group_mean') {
              const e = (truth[name] as { groups: Record<string, { mean: number; count: number }> }).groups
              for (const [g, v] of Object.entries(out.groups)) {
                if (v === null) expect(e[g]!.count, `${name}.${g} suppressed`).toBeLessThan(5)
                else expect(relativeError(v.mean, e[g]!.mean, 1e-3), `${name}.${g}`).toBeLessThan(TOLERANCE)
              }
            } else if (out.op === 'histogram2d') {
              const e = (truth[name] as { cells: number[][] }).cells
              for (const [i, row] of out.cells.entries()) {
                for (const [j, v] of row.entries()) {
                  const t = e[i]![j]!
                  expect(v ?? -1, `${name}[${i}][${j}]`).toBe(t > 0 && t < 5 ? -1 : t)
                }
              }
            } else compare(`${name} rows=${rows} seed=${seed}`, out as OutputValue, truth[name]!)
          }
        },
      ),
      { numRuns: 4, seed: 20261201 },
    )
  })

  it('holds for random datasets and specs (property)', async () => {
    const ops = ['mean', 'variance', 'correlation', 'linear_model_fit'] as const
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 4500 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(...ops),
        fc.constantFrom('x', 'y', 'z'),
        fc.double({ min: -3, max: 3, noNaN: true }).filter((w) => w !== 0),
        async (rows, seed, op, column, weight) => {
          const csv = syntheticCsv(rows, seed)
          const { dir } = await ws.vault(`prop-${run++}`, csv, schema)
          const other = column === 'y' ? 'x' : 'y'
          const output =
            op === 'correlation'
              ? { op, of: [column, other], significantDigits: 10 }
              : op === 'linear_model_fit'
                ? {
                    op,
                    model: { weights: { [column]: weight }, bias: 10 },
                    label: other,
                    significantDigits: 10,
                  }
                : { op, of: column, significantDigits: 10 }
          const spec = parseSpec({ version: 1, outputs: { out: output } })
          const { result, truth } = await runWithTruth(dir, csv, spec)
          compare(
            `${op}(${column}) rows=${rows} seed=${seed}`,
            result.finished.outputs.out as OutputValue,
            truth.out!,
          )
        },
      ),
      { numRuns: 6, seed: 20261121 },
    )
  })
})
