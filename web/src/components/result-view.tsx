import type { JobResult } from '../../../node/sdk/index.ts'
import { num, score } from '../format.ts'
import { Bars } from './chart.tsx'
import { Heatmap } from './heatmap.tsx'
import { Facts, Table } from './ui.tsx'

type Output = JobResult['outputs'][string]

/** The released value of an output, as a person reads it. */
function displayValue(o: Output): string {
  if ('withheld' in o) return `withheld: ${o.withheld}`
  if (o.op === 'histogram')
    return Object.entries(o.buckets)
      .map(([k, v]) => `${k}: ${v === null ? '<min' : num(v)}`)
      .join(', ')
  if (o.op === 'histogram2d') return `${o.rows.length} × ${o.columns.length} cells (heatmap below)`
  if (o.op === 'group_mean')
    return Object.entries(o.groups)
      .map(([k, g]) => `${k}: ${g === null ? '<min' : `${num(g.mean)} (n ${num(g.count)})`}`)
      .join(', ')
  if (o.op === 'quantiles')
    return Object.entries(o.quantiles)
      .map(([q, v]) => `q${q}: ${v === null ? '<min' : num(v)}`)
      .join(', ')
  if (o.op === 'linear_model_fit')
    return `R² ${num(o.r2)}, RMSE ${num(o.rmse)}, SSE ${num(o.sse)}, SST ${num(o.sst)}`
  return num(o.value)
}

/** A histogram's 95% error is stated per bucket (sandbox/dp names the field `bucket`). */
const bucketError = (error95: Readonly<Record<string, number>> | undefined) => {
  const e = error95?.bucket ?? error95?.value
  return e === undefined ? {} : { error95: e }
}

const errorOf = (o: Output): string =>
  'withheld' in o || !o.error95
    ? ''
    : Object.entries(o.error95)
        .map(([field, e]) => (field === 'value' ? `±${num(e)}` : `${field} ±${num(e)}`))
        .join(', ')

/**
 * A released, verified and unsealed result: every output with its records, value, epsilon and
 * stated 95% error; histograms also as bars, heatmaps as shaded tables; the quality score and its components. A linear model
 * fit is released as R², SSE, SST and RMSE only (no per-record predictions leave the vault), so it
 * is a table row, not an actual-vs-predicted plot.
 */
export function ResultView({ result }: { result: JobResult }) {
  const entries = Object.entries(result.outputs).sort(([a], [b]) => a.localeCompare(b))
  return (
    <div class="result">
      <Table
        caption="released outputs"
        head={['output', 'op', 'records', 'value', '95% error', 'epsilon']}
        rows={entries.map(([name, o]) => [
          <span key="n" data-output={name}>
            {name}
          </span>,
          o.op,
          'n' in o ? o.n : '',
          displayValue(o),
          errorOf(o),
          'epsilon' in o && o.epsilon !== undefined ? o.epsilon : '',
        ])}
      />
      {entries.map(([name, o]) =>
        'buckets' in o ? (
          <figure key={name}>
            <figcaption>
              {name}: histogram of {Object.keys(o.buckets).length} buckets, whiskers at the 95% error
            </figcaption>
            <Bars
              label={`histogram ${name}`}
              categories={Object.keys(o.buckets)}
              values={Object.values(o.buckets)}
              {...bucketError(o.error95)}
            />
          </figure>
        ) : 'cells' in o ? (
          <Heatmap key={name} label={`${name}: heatmap`} rows={o.rows} columns={o.columns} cells={o.cells} />
        ) : null,
      )}
      <h3>Quality score {score(result.qualityScoreFixed)}</h3>
      <Facts rows={Object.entries(result.quality.components).map(([k, v]) => [k, v.toFixed(4)] as const)} />
      <ul>
        {result.quality.details.map((d) => (
          <li key={d}>{d}</li>
        ))}
      </ul>
      <details>
        <summary>the result as JSON</summary>
        <pre id="result-json">
          {JSON.stringify({ jobId: result.jobId, outputs: result.outputs, quality: result.quality }, null, 2)}
        </pre>
      </details>
    </div>
  )
}
