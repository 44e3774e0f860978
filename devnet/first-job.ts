/**
 * The first jobs on a warmed vault, in one process (no daemons): the devnet's demo vault, an
 * Evaluator with 2 workers warmed as a validator warms a published vault, then the demo job
 * once and then two at once (one per worker: a second buyer's). Alternates, round by round, the
 * warm of one worker (`one`: expansion only, the seventh pass's) with the warm of every worker
 * (`every`: Evaluator.warmEvery, then the same expansion), and ends with a job alone on a worker
 * that has run the demo job (its masks kept): the first job's extra over it is per-worker warmth. Prints each round's figures, the
 * medians per mode and the load average, and writes bench-results/first-job.json.
 *
 *   npm run bench:first-job [-- --rounds 3]
 */

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  BLOB_DIR,
  chunkRefs,
  compile,
  Evaluator,
  PolicySchema,
  parseSpec,
  VaultSchemaSchema,
} from '../sandbox/index.ts'
import { commandLine, wholeNumber } from './command-line.ts'
import { createDemoVault } from './demo-vault.ts'

const args = commandLine(
  {
    command: 'npm run bench:first-job --',
    summary: "A vault's first job: the warm after publication, then the first results, in rounds.",
    options: { rounds: { type: 'string', default: '3' } },
    describe: { rounds: 'rounds of each mode' },
  },
  (values) => ({ rounds: wholeNumber('rounds', values.rounds, 1, 100) }),
)
const DATA = (f: string) => fileURLToPath(new URL(`./data/${f}`, import.meta.url))
const MODES = ['one', 'every'] as const
type Mode = (typeof MODES)[number]

interface Round {
  readonly mode: Mode
  readonly load1: number
  /** the warm, wall-clock */
  readonly warmMs: number
  /** submit to result of the first job, and of two jobs at once after it */
  readonly firstMs: number
  readonly firstEvalMs: number
  readonly firstKeysLoaded: boolean
  readonly pairMs: number
  readonly pairEvalMs: readonly number[]
  readonly pairKeysLoaded: readonly boolean[]
  /** a job alone after those, on a worker that has run the demo job before: what a first job's extra is measured against */
  readonly laterEvalMs: number
}

const dir = await mkdtemp(join(tmpdir(), 'tcf-first-job-'))
try {
  const { manifest, vaultDir } = await createDemoVault(
    dir,
    VaultSchemaSchema.parse(JSON.parse(await readFile(DATA('schema.json'), 'utf8'))),
    PolicySchema.parse(JSON.parse(await readFile(DATA('policy.json'), 'utf8'))),
  )
  const blobDir = join(vaultDir, BLOB_DIR)
  const circuit = compile(parseSpec(JSON.parse(await readFile(DATA('algo.json'), 'utf8'))), manifest)

  const round = async (mode: Mode): Promise<Round> => {
    const evaluator = new Evaluator({ workers: 2 })
    evaluator.start()
    try {
      const load1 = loadavg()[0]!
      const warmStart = performance.now()
      if (mode === 'every') await evaluator.warmEvery(manifest, blobDir)
      for (const column of manifest.columns)
        await evaluator.warm(manifest, blobDir, chunkRefs(manifest, column.chunks))
      const warmMs = performance.now() - warmStart
      const firstStart = performance.now()
      const first = await evaluator.evaluate(circuit, manifest, blobDir)
      const firstMs = performance.now() - firstStart
      const pairStart = performance.now()
      const pair = await Promise.all([0, 1].map(() => evaluator.evaluate(circuit, manifest, blobDir)))
      const pairMs = performance.now() - pairStart
      const later = await evaluator.evaluate(circuit, manifest, blobDir)
      return {
        mode,
        load1,
        warmMs,
        firstMs,
        firstEvalMs: first.timing.ms,
        firstKeysLoaded: first.timing.keysLoaded,
        pairMs,
        pairEvalMs: pair.map((p) => p.timing.ms),
        pairKeysLoaded: pair.map((p) => p.timing.keysLoaded),
        laterEvalMs: later.timing.ms,
      }
    } finally {
      await evaluator.stop()
    }
  }

  const rounds: Round[] = []
  for (let i = 0; i < args.rounds; i++) {
    for (const mode of i % 2 === 0 ? MODES : [...MODES].reverse()) {
      const r = await round(mode)
      rounds.push(r)
      console.log(
        `${r.mode.padEnd(5)} load ${r.load1.toFixed(2)}  warm ${r.warmMs.toFixed(0)} ms  first job ${r.firstMs.toFixed(0)} ms (eval ${r.firstEvalMs.toFixed(0)}, keys loaded ${r.firstKeysLoaded})  two at once ${r.pairMs.toFixed(0)} ms (eval ${r.pairEvalMs.map((m) => m.toFixed(0)).join(', ')}; keys loaded ${r.pairKeysLoaded.join(', ')})  later job eval ${r.laterEvalMs.toFixed(0)} ms`,
      )
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const summary = Object.fromEntries(
    MODES.map((mode) => {
      const of = rounds.filter((r) => r.mode === mode)
      return [
        mode,
        {
          warmMs: Math.round(median(of.map((r) => r.warmMs))),
          firstMs: Math.round(median(of.map((r) => r.firstMs))),
          pairMs: Math.round(median(of.map((r) => r.pairMs))),
          laterEvalMs: Math.round(median(of.map((r) => r.laterEvalMs))),
        },
      ]
    }),
  )
  console.log(
    'medians',
    JSON.stringify(summary),
    'load average now',
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  )
  await mkdir('bench-results', { recursive: true })
  await writeFile(
    'bench-results/first-job.json',
    `${JSON.stringify({ bench: 'first-job', date: new Date().toISOString(), rounds, summary }, null, 2)}\n`,
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
