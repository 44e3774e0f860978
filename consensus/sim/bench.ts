import { mkdirSync, writeFileSync } from 'node:fs'
import { SimulationError } from './errors.ts'
import { maxFaulty } from './scenario.ts'
import { runSimulation } from './simulation.ts'

/**
 * Consensus latency in the simulator on a clean network (every message takes
 * exactly `delay` ms, GST at 0): the good case, and f silent validators.
 */
const SIZES = [4, 7, 16, 31]
const DELAYS = [1, 10, 50]
const HEIGHTS = 20
const OUTPUT = 'bench-results/consensus.json'

interface Row {
  readonly n: number
  readonly delayMs: number
  readonly faulty: number
  readonly meanRounds: number
  readonly maxRounds: number
  readonly messagesPerHeight: number
  readonly statusPerHeight: number
  readonly meanLatencyMs: number
  readonly meanLatencyDelays: number
  readonly goodHeightLatencyDelays: number | null
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const round2 = (x: number): number => Math.round(x * 100) / 100

function measure(n: number, delayMs: number, faulty: number): Row {
  const result = runSimulation({
    seed: 1,
    n,
    byzantine: faulty,
    faults: new Set(),
    heights: HEIGHTS,
    fixedDelay: delayMs,
    behaviour: 'silent',
  })
  if (!result.ok)
    throw new SimulationError('bench-run-failed', `bench run failed: ${JSON.stringify(result.violations)}`)
  const rounds = result.heights.map((h) => h.round + 1)
  const latencies = result.heights.map((h) => h.latency)
  const firstRound = result.heights.filter((h) => h.round === 0).map((h) => h.latency / delayMs)
  return {
    n,
    delayMs,
    faulty,
    meanRounds: round2(mean(rounds)),
    maxRounds: Math.max(...rounds),
    messagesPerHeight: round2(result.consensusMessages / HEIGHTS),
    statusPerHeight: round2(result.statusMessages / HEIGHTS),
    meanLatencyMs: round2(mean(latencies)),
    meanLatencyDelays: round2(mean(latencies) / delayMs),
    goodHeightLatencyDelays: firstRound.length > 0 ? round2(mean(firstRound)) : null,
  }
}

const rows: Row[] = []
for (const n of SIZES) {
  for (const delayMs of DELAYS) {
    for (const faulty of [0, maxFaulty(n)]) rows.push(measure(n, delayMs, faulty))
  }
}

const header = [
  'n',
  'delay ms',
  'silent',
  'rounds (mean/max)',
  'msgs/height',
  'status/height',
  'latency ms',
  'latency (delays)',
  'round-0 heights (delays)',
]
const lines = rows.map((r) => [
  r.n,
  r.delayMs,
  r.faulty,
  `${r.meanRounds}/${r.maxRounds}`,
  r.messagesPerHeight,
  r.statusPerHeight,
  r.meanLatencyMs,
  r.meanLatencyDelays,
  r.goodHeightLatencyDelays ?? '-',
])
console.log(`| ${header.join(' | ')} |`)
console.log(`|${header.map(() => '---').join('|')}|`)
for (const line of lines) console.log(`| ${line.join(' | ')} |`)

mkdirSync('bench-results', { recursive: true })
writeFileSync(OUTPUT, `${JSON.stringify({ heightsPerRun: HEIGHTS, rows }, null, 2)}\n`)
console.log(`\nwrote ${OUTPUT}`)
