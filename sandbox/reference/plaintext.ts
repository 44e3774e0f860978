import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import type { AlgorithmSpec, OutputSpec } from '../spec/schema.ts'
import { TERM_PATTERN } from '../spec/schema.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { bucketLabels } from '../vault/schema.ts'

/**
 * The same statistics in plain TypeScript, straight from the CSV's cells:
 * the ground truth that tests, the HE benchmark and the devnet compare the
 * homomorphic results against. Same semantics: each output uses the
 * records where every column it reads is present; variance is the sample
 * variance (n - 1).
 */
export type PlainValue =
  | number
  | Record<string, number>
  | { r2: number; sse: number; sst: number; n: number }
  | { cells: number[][] }
  | { groups: Record<string, { mean: number; count: number }> }

type Row = Record<string, string>

export function readCsvRows(path: string): Row[] {
  return parse(readFileSync(path), { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Row[]
}

export function plaintextOutputs(
  rows: readonly Row[],
  schema: VaultSchema,
  spec: AlgorithmSpec,
): Record<string, PlainValue> {
  const out: Record<string, PlainValue> = {}
  for (const [name, output] of Object.entries(spec.outputs)) out[name] = plaintextOutput(rows, schema, output)
  return out
}

const isMissing = (cell: string | undefined) =>
  cell === undefined || ['', 'na', 'n/a', 'null'].includes(cell.toLowerCase())

function cellNumber(cell: string): number {
  const v = cell.toLowerCase()
  if (v === 'true' || v === 'yes') return 1
  if (v === 'false' || v === 'no') return 0
  return Number(cell)
}

function termOf(term: string): { columns: string[]; value: (r: Row) => number } {
  const m = TERM_PATTERN.exec(term)!
  const a = m[1]!
  const b = term.endsWith('^2') ? a : m[2]
  if (b === undefined) return { columns: [a], value: (r) => cellNumber(r[a]!) }
  return { columns: [a, b], value: (r) => cellNumber(r[a]!) * cellNumber(r[b]!) }
}

function complete(rows: readonly Row[], columns: readonly string[]): Row[] {
  return rows.filter((r) => columns.every((c) => !isMissing(r[c])))
}

/** A categorical or bucketed column's labels and each row's label index (undefined where missing). */
function categorical(
  schema: VaultSchema,
  name: string,
): { labels: string[]; of: (r: Row) => number | undefined } {
  const column = schema.columns.find((c) => c.name === name)!
  if (column.type === 'categorical') {
    return {
      labels: column.categories,
      of: (r) => (isMissing(r[name]) ? undefined : column.categories.indexOf(r[name]!)),
    }
  }
  if (column.type !== 'bucketed') return { labels: [], of: () => undefined }
  const { edges } = column
  return {
    labels: bucketLabels(edges),
    of: (r) => {
      if (isMissing(r[name])) return undefined
      const v = Number(r[name])
      let i = 0
      while (i + 2 < edges.length && v >= edges[i + 1]!) i++
      return i
    },
  }
}

function sampleCov(xs: number[], ys: number[]): number {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let s = 0
  for (let i = 0; i < n; i++) s += (xs[i]! - mx) * (ys[i]! - my)
  return s / (n - 1)
}

export function plaintextOutput(rows: readonly Row[], schema: VaultSchema, output: OutputSpec): PlainValue {
  switch (output.op) {
    case 'count':
      return output.of === undefined ? rows.length : complete(rows, termOf(output.of).columns).length
    case 'sum':
    case 'mean': {
      const t = termOf(output.of)
      const used = complete(rows, t.columns)
      const sum = used.reduce((a, r) => a + t.value(r), 0)
      return output.op === 'sum' ? sum : sum / used.length
    }
    case 'variance':
    case 'stddev': {
      const t = termOf(output.of)
      const xs = complete(rows, t.columns).map(t.value)
      const v = sampleCov(xs, xs)
      return output.op === 'variance' ? v : Math.sqrt(v)
    }
    case 'covariance':
    case 'correlation': {
      const t = termOf(output.of[0])
      const u = termOf(output.of[1])
      const used = complete(rows, [...t.columns, ...u.columns])
      const xs = used.map(t.value)
      const ys = used.map(u.value)
      const cov = sampleCov(xs, ys)
      return output.op === 'covariance' ? cov : cov / Math.sqrt(sampleCov(xs, xs) * sampleCov(ys, ys))
    }
    case 'histogram': {
      const { labels, of } = categorical(schema, output.of)
      const hist: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]))
      for (const r of rows) {
        const i = of(r)
        if (i !== undefined) hist[labels[i]!]! += 1
      }
      return hist
    }
    case 'histogram2d': {
      const a = categorical(schema, output.of[0])
      const b = categorical(schema, output.of[1])
      const cells = a.labels.map(() => b.labels.map(() => 0))
      for (const r of rows) {
        const i = a.of(r)
        const j = b.of(r)
        if (i !== undefined && j !== undefined) cells[i]![j]! += 1
      }
      return { cells }
    }
    case 'group_mean': {
      const by = categorical(schema, output.by)
      const t = termOf(output.of)
      const sums = by.labels.map(() => ({ sum: 0, count: 0 }))
      for (const r of complete(rows, t.columns)) {
        const i = by.of(r)
        if (i === undefined) continue
        sums[i]!.sum += t.value(r)
        sums[i]!.count += 1
      }
      return {
        groups: Object.fromEntries(
          by.labels.map((l, i) => [l, { mean: sums[i]!.sum / sums[i]!.count, count: sums[i]!.count }]),
        ),
      }
    }
    case 'quantiles': {
      // The exact quantile of the values (the released one is interpolated within its bucket).
      const values = rows
        .filter((r) => !isMissing(r[output.of]))
        .map((r) => Number(r[output.of]))
        .sort((x, y) => x - y)
      return Object.fromEntries(
        output.q.map((q) => [String(q), values[Math.min(values.length - 1, Math.floor(q * values.length))]!]),
      )
    }
    case 'weighted_sum': {
      const terms = Object.entries(output.weights).map(([t, w]) => ({ ...termOf(t), w }))
      const used = complete(
        rows,
        terms.flatMap((t) => t.columns),
      )
      return used.reduce((a, r) => a + terms.reduce((s, t) => s + t.w * t.value(r), 0), 0)
    }
    case 'linear_model_fit': {
      const terms = Object.entries(output.model.weights).map(([t, w]) => ({ ...termOf(t), w }))
      const used = complete(rows, [...terms.flatMap((t) => t.columns), output.label])
      const ys = used.map((r) => cellNumber(r[output.label]!))
      const predictions = used.map((r) => output.model.bias + terms.reduce((s, t) => s + t.w * t.value(r), 0))
      const sse = ys.reduce((a, y, i) => a + (y - predictions[i]!) ** 2, 0)
      const sst = sampleCov(ys, ys) * (ys.length - 1)
      return { r2: 1 - sse / sst, sse, sst, n: used.length }
    }
  }
}
