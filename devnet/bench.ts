/**
 * Devnet benchmark: the demo job on real validator processes. For each
 * network size, one job alone (latency per stage) and then a burst of jobs
 * submitted concurrently (latency percentiles per stage, sustained jobs/s).
 * Bounded in job count and time. Prints a table, writes
 * bench-results/devnet.json.
 *
 *   npm run bench:devnet [-- --validators 4,7 --jobs 40 --budget-s 240]
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { Client, type JobRecord, table, useNativeSecp256k1, VaultAgent } from '../node/index.ts'
import type { Hex32 } from '../protocol/index.ts'
import { PolicySchema, privacyOf, VaultSchemaSchema } from '../sandbox/index.ts'
import { CLUSTER_PASSPHRASE, startCluster } from './cluster.ts'
import { cpuSeconds } from './cpu-time.ts'
import { createDemoVault } from './demo-vault.ts'
import { DevnetError } from './errors.ts'
import { parseLog, type TraceReport, traceReport } from './trace-report.ts'
import { type NodeWarmth, vaultWarmed } from './warm-report.ts'

const { values: args } = parseArgs({
  options: {
    validators: { type: 'string', default: '4,7' },
    jobs: { type: 'string', default: '40' },
    'budget-s': { type: 'string', default: '240' },
    out: { type: 'string', default: 'bench-results/devnet.json' },
    /** which runs, in order: single, burst (the same spec), distinct (a different spec each) */
    modes: { type: 'string', default: 'single,burst,distinct' },
    /** keep the cluster's directory (its validators' logs) for reading after the run */
    keep: { type: 'boolean', default: false },
  },
})

/** The dev chain's funded wallets the bench's buyers use (0 deploys, 1 is the seller). */
const BUYER_WALLETS = [2, 3, 4] as const
/** The bench's buyer polls the burst's jobs this often (one list call each time). */
const POLL_MS = 500
const MODES = ['single', 'burst', 'distinct'] as const
const modes = args.modes.split(',') as Run['mode'][]
for (const mode of modes) {
  if (!MODES.includes(mode))
    throw new DevnetError('BAD_OPTION', `--modes: no run "${mode}"; the runs are ${MODES.join(', ')}`)
}
const DATA = (f: string) => fileURLToPath(new URL(`./data/${f}`, import.meta.url))
const STAGES = [
  ['admission', 'pending', 'admitted'],
  ['execution', 'admitted', 'attested'],
  ['certification', 'admitted', 'certified'],
  ['submit->certified', 'pending', 'certified'],
  ['anchoring', 'certified', 'anchored'],
  ['release', 'certified', 'released'],
  ['submit->released', 'pending', 'released'],
] as const

interface Run {
  readonly validators: number
  /** single: one job alone; burst: the same spec at once (repeated statistics); distinct: a different spec each */
  readonly mode: 'single' | 'burst' | 'distinct'
  readonly submitted: number
  readonly released: number
  readonly failed: number
  /** from the first submission to the last release (or the budget's end) */
  readonly seconds: number
  /** released over `seconds`: the whole burst, its submission included */
  readonly jobsPerSecond: number
  /** released per second between the first and the last release: the rate once the pipeline is full */
  readonly steadyJobsPerSecond: number
  readonly stages: Record<string, { p50: number; p95: number; p99: number; n: number }>
  /** where the time between submit and certified went, from every validator's job trace */
  readonly trace: TraceReport
  /**
   * CPU seconds each validator process used during the run (its workers included), then the
   * bench's own process (the buyers and the vault agent); empty where /proc is not there.
   */
  readonly cpu: { readonly validators: number[]; readonly bench: number }
}

// The buyers and the vault agent run in this process: they sign and check certificates as the
// CLI's commands do, with the addon.
useNativeSecp256k1()

const runs: Run[] = []
/** per network size: the demo vault readied on each validator after its publication, before any job */
const warms: Array<{ readonly validators: number; readonly nodes: NodeWarmth[] }> = []
const spec = JSON.parse(await readFile(DATA('algo.json'), 'utf8')) as unknown
const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(DATA('schema.json'), 'utf8')))
const demoPolicy = PolicySchema.parse(JSON.parse(await readFile(DATA('policy.json'), 'utf8')))
// The demo vault's budget covers ten jobs; the bench runs 1 + 2 x --jobs of them on one vault.
const policy = PolicySchema.parse({
  ...demoPolicy,
  privacy: {
    ...privacyOf(demoPolicy),
    epsilon: Math.min(1000, privacyOf(demoPolicy).maxEpsilonPerJob * (1 + 2 * Number(args.jobs))),
  },
})

for (const validators of args.validators.split(',').map(Number)) {
  const dir = await mkdtemp(join(tmpdir(), 'tcf-bench-devnet-'))
  // The demo vault is the seller's (owner mode): the epoch's DKG would only compete with the first
  // jobs for the cores (tens of seconds of key generation on every validator at start).
  const cluster = await startCluster({ dir, validators, env: { TCF_DKG: 'false' } })
  const abort = new AbortController()
  let agent: VaultAgent | undefined
  try {
    const { manifest, keysDir, vaultDir } = await createDemoVault(dir, schema, policy)
    const seller = new Client({
      url: cluster.nodes[0]!.apiUrl,
      key: cluster.chain.wallet(1).privateKey as Hex32,
    })
    const publishedAt = Date.now()
    await seller.publishVault(vaultDir)
    await seller.close()
    // The first job meets a vault published before it: wait until the validators have readied it.
    warms.push({ validators, nodes: await vaultWarmed(cluster.nodes, manifest.vaultId, publishedAt) })
    agent = new VaultAgent({
      vaultDir,
      keysDir,
      passphrase: CLUSTER_PASSPHRASE,
      ownerKey: cluster.chain.wallet(1).privateKey as Hex32,
      nodes: cluster.nodes.map((n) => n.apiUrl),
      logger: pino({ level: 'silent' }),
    })
    await agent.start()
    void agent.run(abort.signal, 250)
    // Each buyer's escrow transactions go one after another (one nonce sequence): three buyers
    // submit a burst three times as fast, so the burst's submission bounds its rate less.
    const buyers = BUYER_WALLETS.map(
      (w) => new Client({ url: cluster.nodes[0]!.apiUrl, key: cluster.chain.wallet(w).privateKey as Hex32 }),
    )
    const buyer = buyers[0]!
    const cpuNow = () => ({
      validators: cluster.nodes.map((n) => cpuSeconds(n.pid)),
      bench: process.cpuUsage(),
    })
    const burst = async (mode: Run['mode'], count: number) => {
      const cpuBefore = cpuNow()
      const started = Date.now()
      const budget = started + Number(args['budget-s']) * 1000
      const ids = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          buyers[i % buyers.length]!.submitJob({
            vaultId: manifest.vaultId as Hex32,
            spec: mode === 'distinct' ? variant(i) : spec,
          }).then((j) => j.jobId),
        ),
      )
      const submittedIn = (Date.now() - started) / 1000
      const records = await awaitReleased(buyer, manifest.vaultId as Hex32, new Set(ids), budget)
      const finished = records.flatMap((r) => {
        const at = r.stages.released ?? r.stages.failed
        return at ? [Date.parse(at)] : []
      })
      const seconds = ((finished.length === count ? Math.max(...finished) : Date.now()) - started) / 1000
      const logs = await Promise.all(cluster.nodes.map(async (n) => parseLog(n.index, await n.log())))
      const submitted = new Map(
        records.flatMap((r) => (r.stages.pending ? [[r.jobId, Date.parse(r.stages.pending)] as const] : [])),
      )
      const trace = traceReport(logs.flat(), submitted, { from: started, to: Date.now() })
      const released = records.filter((r) => r.stage === 'released').length
      const cpuAfter = cpuNow()
      const cpu = {
        validators: cpuAfter.validators.flatMap((after, i) => {
          const before = cpuBefore.validators[i]
          return after === undefined || before === undefined ? [] : [after - before]
        }),
        bench: sumCpu(process.cpuUsage(cpuBefore.bench)),
      }
      runs.push({
        validators,
        mode,
        submitted: count,
        released,
        failed: records.filter((r) => r.stage === 'failed').length,
        seconds,
        jobsPerSecond: released / seconds,
        steadyJobsPerSecond: steadyRate(records),
        stages: percentiles(records),
        trace,
        cpu,
      })
      console.error(
        `  ${validators} validators, ${mode}: ${released}/${count} released in ${seconds.toFixed(1)} s (submitted in ${submittedIn.toFixed(1)} s)`,
      )
    }
    for (const mode of modes) {
      await burst(mode, mode === 'single' ? 1 : Number(args.jobs))
    }
    await Promise.all(buyers.map((b) => b.close()))
  } finally {
    abort.abort()
    await agent?.stop()
    await cluster.stop()
    if (args.keep) console.error(`  kept ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Polls until every job in `ids` is released or failed, or the budget ends: one list call per tick
 * for the whole burst, since a poll per job is what the API's rate limit (shared here with the
 * vault agent, same address) refuses at a few dozen jobs. The stage times are the node's own, so
 * the tick only decides when the bench stops waiting, not what it measures.
 */
async function awaitReleased(
  buyer: Client,
  vaultId: Hex32,
  ids: ReadonlySet<string>,
  budget: number,
): Promise<JobRecord[]> {
  for (;;) {
    const mine = (await buyer.jobs({ vault: vaultId })).filter((r) => ids.has(r.jobId))
    const done = mine.filter((r) => r.stage === 'released' || r.stage === 'failed').length
    if ((mine.length === ids.size && done === ids.size) || Date.now() >= budget) return mine
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

function sumCpu(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6
}

/** Released jobs per second between the first and the last release (NaN for fewer than two). */
function steadyRate(records: readonly JobRecord[]): number {
  const at = records
    .flatMap((r) => (r.stages.released ? [Date.parse(r.stages.released)] : []))
    .sort((a, b) => a - b)
  if (at.length < 2) return Number.NaN
  return ((at.length - 1) * 1000) / Math.max(1, at.at(-1)! - at[0]!)
}

/**
 * The demo spec without one or two of its outputs: a different set of statistics per job, so
 * no job's packs are another's (its accumulated statistics still are: the vault is the same).
 */
function variant(i: number): unknown {
  const base = spec as { outputs: Record<string, unknown>; expect?: Record<string, unknown> }
  const names = Object.keys(base.outputs)
  const drop = new Set([names[i % names.length], i >= names.length ? names[(i * 7 + 3) % names.length] : ''])
  const outputs = Object.fromEntries(Object.entries(base.outputs).filter(([name]) => !drop.has(name)))
  // The demo's expectations name outputs a variant may lack; the spec without them is still a job.
  return { version: 1, outputs }
}

function percentiles(records: readonly JobRecord[]): Run['stages'] {
  const out: Run['stages'] = {}
  for (const [name, from, to] of STAGES) {
    const xs = records
      .map((r) =>
        r.stages[from] && r.stages[to]
          ? (Date.parse(r.stages[to]!) - Date.parse(r.stages[from]!)) / 1000
          : undefined,
      )
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b)
    const at = (q: number) => xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] ?? Number.NaN
    out[name] = { p50: at(0.5), p95: at(0.95), p99: at(0.99), n: xs.length }
  }
  return out
}

const rows = runs.flatMap((r) =>
  STAGES.map(([name]) => {
    const s = r.stages[name]!
    return [
      String(r.validators),
      r.mode,
      name,
      s.p50.toFixed(2),
      s.p95.toFixed(2),
      s.p99.toFixed(2),
      String(s.n),
    ]
  }),
)
console.log(table(['validators', 'run', 'stage (s)', 'p50', 'p95', 'p99', 'jobs'], rows))
console.log()
for (const r of runs) {
  console.log(`\n${r.validators} validators, ${r.mode}: where submit -> certified goes (median validator)`)
  console.log(
    table(
      ['stage', 'p50 s', 'p95 s', 'work ms (p50)', 'jobs'],
      r.trace.stages.map((s) => [
        s.stage,
        s.p50.toFixed(2),
        s.p95.toFixed(2),
        s.workMs === undefined ? '-' : String(s.workMs),
        String(s.n),
      ]),
    ),
  )
  const { chainReadMs: c, heightSeconds: h } = r.trace
  console.log(
    `chain read per proposal p50 ${c.p50} ms, p95 ${c.p95} ms (${c.n}); height every ${h.p50.toFixed(2)} s p50, ${h.p95.toFixed(2)} s p95`,
  )
}
console.log()
console.log(
  table(
    ['validators', 'run', 'submitted', 'released', 'failed', 'seconds', 'jobs/s', 'steady jobs/s'],
    runs.map((r) => [
      String(r.validators),
      r.mode,
      String(r.submitted),
      String(r.released),
      String(r.failed),
      r.seconds.toFixed(1),
      r.jobsPerSecond.toFixed(3),
      r.steadyJobsPerSecond.toFixed(3),
    ]),
  ),
)
console.log()
console.log(
  table(
    ['validators', 'run', 'validator CPU s (each)', 'per job ms (median)', 'bench CPU s'],
    runs.map((r) => {
      const sorted = [...r.cpu.validators].sort((a, b) => a - b)
      const median = sorted[Math.floor((sorted.length - 1) / 2)]
      return [
        String(r.validators),
        r.mode,
        r.cpu.validators.map((s) => s.toFixed(1)).join(' ') || '-',
        median === undefined ? '-' : String(Math.round((median * 1000) / r.submitted)),
        r.cpu.bench.toFixed(1),
      ]
    }),
  ),
)
for (const w of warms) {
  console.log(`\n${w.validators} validators: the demo vault readied before any job (node/vault-warmer.ts)`)
  console.log(
    table(
      ['node', 'warm after publish s', 'fetch ms', 'ingest ms', 'SEAL context ms', 'keys ms', 'chunks ms'],
      w.nodes.map((n) => [
        String(n.node),
        n.seconds.toFixed(2),
        String(n.fetchMs),
        String(n.ingestMs),
        String(n.contextMs),
        String(n.keysMs),
        String(n.chunksMs),
      ]),
    ),
  )
}
await mkdir('bench-results', { recursive: true })
await writeFile(
  args.out,
  `${JSON.stringify({ bench: 'devnet', date: new Date().toISOString(), spec: 'devnet/data/algo.json', records: 10_000, runs, warms }, null, 2)}\n`,
)
console.log(`\nwrote ${args.out}`)
