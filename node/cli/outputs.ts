import type { OutputValue, QualityScore, Withheld } from '../../sandbox/index.ts'
import { table } from './table.ts'

/** The released outputs as a table: name, op, records described, value (or why it is withheld), epsilon and 95% error. */
export function outputsTable(outputs: Readonly<Record<string, OutputValue | Withheld>>): string {
  return table(
    ['output', 'op', 'records', 'value', 'epsilon', '±95%'],
    Object.entries(outputs).map(([name, out]) => [
      name,
      out.op,
      'withheld' in out ? '-' : String(out.n),
      renderValue(out),
      'withheld' in out || out.epsilon === undefined ? '-' : String(out.epsilon),
      'withheld' in out ? '-' : renderError(out),
    ]),
  )
}

function renderError(out: OutputValue): string {
  const e = out.error95 ?? {}
  if (out.op === 'linear_model_fit') return e.r2 === undefined ? '-' : `R^2 ±${e.r2}, RMSE ±${e.rmse}`
  if (out.op === 'group_mean') return `count ±${e.count}, ${Object.keys(e).length - 1} means`
  if (out.op === 'quantiles')
    return Object.entries(e)
      .map(([q, v]) => `q${q} ±${v}`)
      .join(', ')
  const v = out.op === 'histogram' ? e.bucket : out.op === 'histogram2d' ? e.cell : e.value
  return v === undefined ? '-' : `±${v}`
}

/** The quality score, its components and the reasons behind them. */
export function qualityReport(q: QualityScore): string {
  return [
    `quality score ${q.score.toFixed(4)}`,
    table(
      ['component', 'value'],
      Object.entries(q.components).map(([k, v]) => [k, v.toFixed(4)]),
    ),
    ...q.details.map((d) => `  ${d}`),
  ].join('\n')
}

function renderValue(out: OutputValue | Withheld): string {
  if ('withheld' in out) return `withheld: ${out.withheld}`
  switch (out.op) {
    case 'histogram':
      return Object.entries(out.buckets)
        .map(([k, v]) => `${k}: ${v ?? '<min'}`)
        .join(', ')
    case 'histogram2d':
      return out.rows.map((r, i) => `${r}: [${out.cells[i]!.map((v) => v ?? '<min').join(' ')}]`).join(', ')
    case 'group_mean':
      return Object.entries(out.groups)
        .map(([g, v]) => `${g}: ${v ? `${v.mean} (n ${v.count})` : '<min'}`)
        .join(', ')
    case 'quantiles':
      return Object.entries(out.quantiles)
        .map(([q, v]) => `q${q}: ${v ?? '<min'}`)
        .join(', ')
    case 'linear_model_fit':
      return `R^2 ${out.r2}, RMSE ${out.rmse}, SSE ${out.sse}, SST ${out.sst}`
    default:
      return String(out.value)
  }
}
