import type { OutputValue, QualityScore, Withheld } from '../../sandbox/index.ts'
import { table } from './table.ts'

/** The released outputs as a table: name, op, records described, value (or why it is withheld). */
export function outputsTable(outputs: Readonly<Record<string, OutputValue | Withheld>>): string {
  return table(
    ['output', 'op', 'records', 'value'],
    Object.entries(outputs).map(([name, out]) => [
      name,
      out.op,
      'withheld' in out ? '-' : String(out.n),
      renderValue(out),
    ]),
  )
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
    case 'linear_model_fit':
      return `R^2 ${out.r2}, RMSE ${out.rmse}, SSE ${out.sse}, SST ${out.sst}`
    default:
      return String(out.value)
  }
}
