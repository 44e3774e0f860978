import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NetnsLab } from './lab.ts'
import { SCENARIOS } from './scenarios.ts'
import { runScenario, type ScenarioResult } from './workload.ts'

/**
 * `npm run chaos`: four validator daemons in network namespaces, under each
 * fault of scenarios.ts in turn, on a fresh network each time. Prints a table
 * per scenario and writes bench-results/chaos.json. `npm run chaos -- NAME…`
 * runs only the named scenarios.
 */
const unavailable = await NetnsLab.unavailable()
if (unavailable !== undefined) {
  console.log(`chaos: skipped, ${unavailable}`)
  process.exit(0)
}

const only = process.argv.slice(2)
const chosen = only.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => only.includes(s.name))
const results: ScenarioResult[] = []
for (const scenario of chosen) {
  const dir = await mkdtemp(join(tmpdir(), `tcf-chaos-${scenario.name}-`))
  console.log(`\n${scenario.name}: ${scenario.description}`)
  const started = Date.now()
  try {
    const result = await runScenario(scenario, dir)
    results.push(result)
    printTable(result, Date.now() - started)
    // A run that broke an invariant keeps its homes and logs for a look, as one that threw does.
    if (broken(result)) console.error(`${scenario.name}: invariants broken; logs in ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  } catch (error) {
    // The homes and logs stay for a look.
    console.error(`${scenario.name} failed: ${String(error)}; logs in ${dir}`)
    process.exitCode = 1
  }
}
const out = new URL('../../bench-results/chaos.json', import.meta.url)
await mkdir(new URL('.', out), { recursive: true })
await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`)
const failing = results.filter(broken)
if (failing.length > 0) {
  console.error(`\nchaos: invariants broken in ${failing.map((r) => r.scenario).join(', ')}`)
  process.exitCode = 1
}

function printTable(r: ScenarioResult, elapsedMs: number): void {
  const ms = (v: number | null) => (v === null ? '-' : `${v} ms`)
  const rows: Array<[string, string]> = [
    ['jobs submitted', String(r.submitted)],
    ['certified', String(r.certified)],
    ['failed by deadline', String(r.failed)],
    ['unsettled', String(r.unsettled)],
    ['submit→certified p50', ms(r.p50Ms)],
    ['submit→certified p95', ms(r.p95Ms)],
    ['heights', String(r.heights)],
    ['rounds > 0', String(r.roundsAboveZero)],
    ['restarts', String(r.restarts)],
    ['blocks agree', r.blocksAgree ? 'yes' : 'NO'],
    ['job records agree', r.recordsAgree ? 'yes' : 'NO'],
    ['wall time', `${Math.round(elapsedMs / 1000)} s`],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`)
  for (const e of r.errors) console.log(`  ! ${e}`)
}

function broken(r: ScenarioResult): boolean {
  return r.unsettled > 0 || !r.blocksAgree || !r.recordsAgree || r.errors.length > 0
}
