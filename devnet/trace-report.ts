import { TRACE_MARKS, TRACE_MSG, type TraceMark } from '../node/index.ts'

/**
 * Where a job's time goes between submit and certified, from the `job trace` lines every
 * validator logs: per mark, when the median validator reached it (seconds after submit), and
 * the work inside (fetch, ingest, evaluation milliseconds) apart from the waits around it.
 */
export interface TraceLine {
  readonly node: number
  readonly at: number
  readonly jobId?: string
  readonly mark?: TraceMark
  readonly ms?: number
  readonly msg: string
  readonly chainMs?: number
  readonly height?: number
}

export interface StageRow {
  readonly stage: string
  /** seconds from the previous mark to this one, p50 / p95 over jobs */
  readonly p50: number
  readonly p95: number
  /** the work inside the stage, ms, p50 over jobs (fetch, ingest, evaluation); undefined for a pure wait */
  readonly workMs?: number
  readonly n: number
}

export interface TraceReport {
  readonly stages: readonly StageRow[]
  /** per height, how long validating a proposal waited on the chain (its block number final here) */
  readonly chainReadMs: { readonly p50: number; readonly p95: number; readonly n: number }
  /** seconds between consecutive decided heights on validator 0 */
  readonly heightSeconds: { readonly p50: number; readonly p95: number; readonly n: number }
}

/** Parses one validator's JSON log (pino lines; anything else is skipped). */
export function parseLog(node: number, text: string): TraceLine[] {
  const out: TraceLine[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const o = JSON.parse(line) as Record<string, unknown>
      if (typeof o.time !== 'string' || typeof o.msg !== 'string') continue
      out.push({
        node,
        at: Date.parse(o.time),
        msg: o.msg,
        ...(typeof o.jobId === 'string' ? { jobId: o.jobId } : {}),
        ...(typeof o.mark === 'string' ? { mark: o.mark as TraceMark } : {}),
        ...(typeof o.ms === 'number' ? { ms: o.ms } : {}),
        ...(typeof o.chainMs === 'number' ? { chainMs: o.chainMs } : {}),
        ...(typeof o.height === 'number' ? { height: o.height } : {}),
      })
    } catch {
      // a partial last line while the node writes
    }
  }
  return out
}

/** The report for `jobs` (job id -> submit time, ms), over the lines logged between `from` and `to`. */
export function traceReport(
  lines: readonly TraceLine[],
  jobs: ReadonlyMap<string, number>,
  window: { readonly from: number; readonly to: number },
): TraceReport {
  const inWindow = lines.filter((l) => l.at >= window.from && l.at <= window.to)
  const perStage = new Map<string, { s: number[]; work: number[] }>()
  for (const [jobId, submitted] of jobs) {
    const mine = inWindow.filter((l) => l.msg === TRACE_MSG && l.jobId === jobId)
    let previous = submitted
    let previousName = 'submit'
    for (const mark of TRACE_MARKS) {
      const hits = mine.filter((l) => l.mark === mark)
      if (hits.length === 0) continue
      const at = median(hits.map((h) => h.at))
      const work = hits.map((h) => h.ms).filter((x): x is number => x !== undefined)
      const name = `${previousName} -> ${mark}`
      const entry = perStage.get(name) ?? { s: [], work: [] }
      entry.s.push(Math.max(0, at - previous) / 1000)
      if (work.length > 0) entry.work.push(median(work))
      perStage.set(name, entry)
      previous = Math.max(previous, at)
      previousName = mark
    }
  }
  const stages = [...perStage].map(([stage, { s, work }]) => ({
    stage,
    p50: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    ...(work.length > 0 ? { workMs: quantile(work, 0.5) } : {}),
    n: s.length,
  }))
  const chain = inWindow.flatMap((l) => (l.chainMs === undefined ? [] : [l.chainMs]))
  const decided = inWindow
    .filter((l) => l.node === 0 && l.msg === 'block committed')
    .map((l) => l.at)
    .sort((a, b) => a - b)
  const gaps = decided.slice(1).map((t, i) => (t - decided[i]!) / 1000)
  return {
    stages,
    chainReadMs: { p50: quantile(chain, 0.5), p95: quantile(chain, 0.95), n: chain.length },
    heightSeconds: { p50: quantile(gaps, 0.5), p95: quantile(gaps, 0.95), n: gaps.length },
  }
}

function median(xs: readonly number[]): number {
  return quantile(xs, 0.5)
}

function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN
}
