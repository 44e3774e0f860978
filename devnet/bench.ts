/**
 * Devnet benchmark: the demo job on real validator processes. For each
 * network size, a few jobs one after another, each its own spec (latency
 * per stage: the first, the vault's first evaluation, and the p50), then
 * bursts of jobs submitted concurrently, after one warm job has accumulated
 * the vault's statistics (latency percentiles per stage, sustained jobs/s).
 * Each run has a demo vault of its own. CPU seconds of every validator, the
 * chain and this process (buyers and vault agent). Bounded in job count and
 * time. Prints a table, writes bench-results/devnet.json.
 *
 *   npm run bench:devnet [-- --validators 4,7 --singles 5 --jobs 80 --budget-s 240]
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import {
  Client,
  type JobRecord,
  nodeSdkTransport,
  table,
  useNativeKeccak,
  useNativeSealing,
  useNativeSecp256k1,
  useSdkTransport,
  VaultAgent,
} from '../node/index.ts'
import type { Hex32 } from '../protocol/index.ts'
import { PolicySchema, privacyOf, VaultSchemaSchema } from '../sandbox/index.ts'
import { CLUSTER_PASSPHRASE, startCluster } from './cluster.ts'
import { commandLine, wholeNumber, wholeNumbers } from './command-line.ts'
import { cpuSeconds } from './cpu-time.ts'
import { createDemoVault } from './demo-vault.ts'
import { DevnetError } from './errors.ts'
import { parseLog, type TraceReport, traceReport } from './trace-report.ts'
import { type NodeWarmth, vaultWarmed } from './warm-report.ts'

const MODES = ['single', 'burst', 'distinct'] as const
const args = commandLine(
  {
    command: 'npm run bench:devnet --',
    summary:
      'The demo job on real validator processes: latency per stage, sustained jobs/s and CPU per job of every process.',
    options: {
      validators: { type: 'string', default: '4,7' },
      jobs: { type: 'string', default: '80' },
      singles: { type: 'string', default: '5' },
      'budget-s': { type: 'string', default: '240' },
      out: { type: 'string', default: 'bench-results/devnet.json' },
      modes: { type: 'string', default: 'single,burst,distinct' },
      keep: { type: 'boolean', default: false },
    },
    describe: {
      validators: 'network sizes to run, comma-separated',
      jobs: 'jobs in each burst',
      singles: 'jobs of the single run, one after another',
      'budget-s': 'give up on a run after this many seconds',
      out: 'where the JSON goes',
      modes: `which runs, in order: ${MODES.join(', ')}`,
      keep: "keep the cluster's directory (its validators' logs) for reading after the run",
    },
  },
  (values) => {
    const modes = values.modes.split(',') as Run['mode'][]
    for (const mode of modes) {
      if (!MODES.includes(mode))
        throw new DevnetError('BAD_OPTION', `--modes: no run "${mode}"; the runs are ${MODES.join(', ')}`)
    }
    return {
      validators: wholeNumbers('validators', values.validators, 1, 16),
      jobs: wholeNumber('jobs', values.jobs, 1, 10_000),
      singles: wholeNumber('singles', values.singles, 1, 1000),
      budgetSeconds: wholeNumber('budget-s', values['budget-s'], 1),
      out: values.out,
      modes,
      keep: values.keep,
    }
  },
)

/** The dev chain's funded wallets the bench's buyers use (0 deploys, 1 is the seller). */
const BUYER_WALLETS = [2, 3, 4] as const
/** The bench's buyer polls the burst's jobs this often (one list call each time). */
const POLL_MS = 500
const modes = args.modes
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
  /**
   * single: --singles jobs one after another, each its own spec (the demo's first); burst: the same
   * spec at once (repeated statistics); distinct: a different spec each, at once. Each on a vault of
   * its own; a burst's vault has evaluated the demo spec once before it (its warm job)
   */
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
  /** single: the first job's stages alone, the vault's first evaluation (its p50 = its one value) */
  readonly first?: Run['stages']
  /** burst, distinct: the warm job's stages, the demo spec evaluated once before the burst (not in its counts) */
  readonly warm?: Run['stages']
  /** where the time between submit and certified went, from every validator's job trace */
  readonly trace: TraceReport
  /**
   * CPU seconds each validator process used during the run (its workers included), the chain's
   * (anvil) process, then the bench's own process (the buyers and the vault agent); validators
   * empty and chain absent where /proc is not there.
   */
  readonly cpu: {
    readonly validators: number[]
    readonly chain?: number
    readonly bench: number
    /** this process reading and parsing the validators' logs after the run: the harness, not in `bench` */
    readonly harness: number
  }
}

// The buyers and the vault agent run in this process: they sign, check certificates and seal as
// the CLI's commands do, with the addon, and reach the nodes and the chain as the CLI does.
useNativeSecp256k1()
useNativeSealing()
useNativeKeccak()
useSdkTransport(nodeSdkTransport())

const runs: Run[] = []
/** per network size and run: the run's vault readied on each validator after its publication, before any job */
const warms: Array<{
  readonly validators: number
  readonly mode: Run['mode']
  readonly nodes: NodeWarmth[]
}> = []
const spec = JSON.parse(await readFile(DATA('algo.json'), 'utf8')) as unknown
const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(DATA('schema.json'), 'utf8')))
const demoPolicy = PolicySchema.parse(JSON.parse(await readFile(DATA('policy.json'), 'utf8')))
/** A burst's warm job: the demo spec once, its statistics accumulated before the burst repeats them. */
const WARM_JOBS = 1
/** Jobs a run submits to its vault: a burst's own and its warm job. */
const jobsOf = (mode: Run['mode']) => (mode === 'single' ? args.singles : args.jobs + WARM_JOBS)
// Each run has a vault of its own, so no run spends another's budget and each starts alike whatever
// ran before it. A vault's budget must cover every job its run submits: a job the budget cannot pay
// for is never admitted (it waits for its deadline, long past --budget-s).
const demoPrivacy = privacyOf(demoPolicy)
const policies = new Map(
  modes.map((mode) => {
    const epsilon = demoPrivacy.maxEpsilonPerJob * jobsOf(mode)
    const policy = PolicySchema.safeParse({ ...demoPolicy, privacy: { ...demoPrivacy, epsilon } })
    if (!policy.success) {
      // As a bad option is reported (devnet/command-line.ts): before anything starts.
      console.error(
        `npm run bench:devnet --: the ${mode} run submits ${jobsOf(mode)} jobs of epsilon ${demoPrivacy.maxEpsilonPerJob} to its vault, a budget of ${epsilon}, which a vault's policy cannot hold (${policy.error.issues[0]?.message}); ask fewer ${mode === 'single' ? '--singles' : '--jobs'}`,
      )
      process.exit(2)
    }
    return [mode, policy.data] as const
  }),
)

for (const validators of args.validators) {
  const dir = await mkdtemp(join(tmpdir(), 'tcf-bench-devnet-'))
  // The demo vaults are their seller's (owner mode): the epoch's DKG would only compete with the
  // first jobs for the cores (tens of seconds of key generation on every validator at start).
  const cluster = await startCluster({ dir, validators, env: { TCF_DKG: 'false' } })
  // Each buyer's escrow transactions go one after another (one nonce sequence): three buyers
  // submit a burst three times as fast, so the burst's submission bounds its rate less.
  const buyers = BUYER_WALLETS.map(
    (w) => new Client({ url: cluster.nodes[0]!.apiUrl, key: cluster.chain.wallet(w).privateKey as Hex32 }),
  )
  const buyer = buyers[0]!
  const cpuNow = () => ({
    validators: cluster.nodes.map((n) => cpuSeconds(n.pid)),
    chain: cpuSeconds(cluster.chain.pid),
    bench: process.cpuUsage(),
  })

  /** The run's own demo vault, published, readied on every validator, and its owner's agent serving it. */
  const openVault = async (mode: Run['mode']) => {
    const { manifest, keysDir, vaultDir } = await createDemoVault(
      join(dir, mode),
      schema,
      policies.get(mode)!,
    )
    const seller = new Client({
      url: cluster.nodes[0]!.apiUrl,
      key: cluster.chain.wallet(1).privateKey as Hex32,
    })
    const publishedAt = Date.now()
    await seller.publishVault(vaultDir)
    await seller.close()
    // The first job meets a vault published before it: wait until the validators have readied it.
    warms.push({ validators, mode, nodes: await vaultWarmed(cluster.nodes, manifest.vaultId, publishedAt) })
    const agent = new VaultAgent({
      vaultDir,
      keysDir,
      passphrase: CLUSTER_PASSPHRASE,
      ownerKey: cluster.chain.wallet(1).privateKey as Hex32,
      nodes: cluster.nodes.map((n) => n.apiUrl),
      logger: pino({ level: 'silent' }),
    })
    await agent.start()
    const abort = new AbortController()
    const serving = agent.run(abort.signal, 250)
    return {
      vaultId: manifest.vaultId as Hex32,
      close: async () => {
        abort.abort()
        await serving
        await agent.stop()
      },
    }
  }

  const run = async (mode: Run['mode'], count: number) => {
    const vault = await openVault(mode)
    try {
      const submit = (i: number, jobSpec: unknown) =>
        buyers[i % buyers.length]!.submitJob({ vaultId: vault.vaultId, spec: jobSpec }).then((j) => j.jobId)
      /** The single run's jobs, each released (or failed) before the next is submitted. */
      const oneByOne = async (budget: number) => {
        const ids: Hex32[] = []
        for (let i = 0; i < count && Date.now() < budget; i++) {
          // The demo's spec first, as the single run always measured; then specs the other runs never ask.
          ids.push(await submit(i, i === 0 ? spec : variant(args.jobs + i - 1)))
          await awaitReleased(buyer, vault.vaultId, new Set(ids.slice(-1)), budget)
        }
        return ids
      }
      // A burst starts on statistics accumulated once: the demo spec's, whose outputs every spec of
      // either burst draws on. What the first evaluation on a vault costs is the single run's to show.
      let warm: Run['stages'] | undefined
      if (mode !== 'single') {
        const warmId = await submit(0, spec)
        warm = percentiles(
          await awaitReleased(
            buyer,
            vault.vaultId,
            new Set([warmId]),
            Date.now() + args.budgetSeconds * 1000,
          ),
        )
      }
      const cpuBefore = cpuNow()
      const started = Date.now()
      const budget = started + args.budgetSeconds * 1000
      const ids =
        mode === 'single'
          ? await oneByOne(budget)
          : await Promise.all(
              Array.from({ length: count }, (_, i) => submit(i, mode === 'distinct' ? variant(i) : spec)),
            )
      const submittedIn = (Date.now() - started) / 1000
      const records = await awaitReleased(buyer, vault.vaultId, new Set(ids), budget)
      // Before the validators' logs are read and parsed below: that is the harness's work, not a buyer's.
      const cpuAfter = cpuNow()
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
      const harness = sumCpu(process.cpuUsage(cpuAfter.bench))
      const released = records.filter((r) => r.stage === 'released').length
      const cpu = {
        validators: cpuAfter.validators.flatMap((after, i) => {
          const before = cpuBefore.validators[i]
          return after === undefined || before === undefined ? [] : [after - before]
        }),
        ...(cpuAfter.chain !== undefined && cpuBefore.chain !== undefined
          ? { chain: cpuAfter.chain - cpuBefore.chain }
          : {}),
        bench: sumCpu(cpuAfter.bench) - sumCpu(cpuBefore.bench),
        harness,
      }
      const firstJob = records.filter((r) => r.jobId === ids[0])
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
        ...(mode === 'single' ? { first: percentiles(firstJob) } : {}),
        ...(warm ? { warm } : {}),
        trace,
        cpu,
      })
      console.error(
        `  ${validators} validators, ${mode}: ${released}/${count} released in ${seconds.toFixed(1)} s (submitted in ${submittedIn.toFixed(1)} s)`,
      )
    } finally {
      await vault.close()
    }
  }

  try {
    for (const mode of modes) await run(mode, mode === 'single' ? args.singles : args.jobs)
  } finally {
    await Promise.all(buyers.map((b) => b.close()))
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
 * The demo spec without one, two or three of its outputs, the i-th such set (one output first, then
 * pairs, then triples): a different set of statistics per job up to 129 jobs with the demo's nine
 * outputs, so no job's packs are another's (its accumulated statistics still are: the vault is the
 * same).
 */
function variant(i: number): unknown {
  const base = spec as { outputs: Record<string, unknown>; expect?: Record<string, unknown> }
  const names = Object.keys(base.outputs)
  const drops = [1, 2, 3].flatMap((size) => subsets(names, size))
  const drop = new Set(drops[i % drops.length])
  const outputs = Object.fromEntries(Object.entries(base.outputs).filter(([name]) => !drop.has(name)))
  // The demo's expectations name outputs a variant may lack; the spec without them is still a job.
  return { version: 1, outputs }
}

/** The subsets of `items` with `size` members, in lexicographic order of their positions. */
function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]]
  return items.flatMap((item, i) => subsets(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]))
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

const stageRows = (r: Run, label: string, stages: Run['stages']) =>
  STAGES.map(([name]) => {
    const s = stages[name]!
    return [
      String(r.validators),
      label,
      name,
      s.p50.toFixed(2),
      s.p95.toFixed(2),
      s.p99.toFixed(2),
      String(s.n),
    ]
  })
// The single run's first job is also shown alone: the vault's first evaluation, which the p50 hides;
// and a burst's warm job, the evaluation its jobs then repeat.
const rows = runs.flatMap((r) => [
  ...(r.first ? stageRows(r, `${r.mode} 1st`, r.first) : []),
  ...(r.warm ? stageRows(r, `${r.mode} warm`, r.warm) : []),
  ...stageRows(r, r.mode, r.stages),
])
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
for (const r of runs) {
  const at = (stages: Run['stages'] | undefined, name: string) => stages?.[name]?.p50.toFixed(2) ?? '-'
  const cold = r.first ? `first ${at(r.first, 'submit->certified')} s, ` : ''
  console.log(
    `${r.validators} validators, ${r.mode}: submit->certified ${cold}p50 ${at(r.stages, 'submit->certified')} s; ` +
      `submit->released (the buyer's wait) ${r.first ? `first ${at(r.first, 'submit->released')} s, ` : ''}p50 ${at(r.stages, 'submit->released')} s (${r.submitted} jobs)`,
  )
}
console.log()
/**
 * Every process's CPU a job (validators, chain, buyers and agent), and what the machine's cores can
 * carry at that cost: the sustained rate no scheduling of this run's work could beat here. A burst's
 * steady rate can exceed it for a while (its releases bunch up at the end, the work done earlier).
 */
const CORES = availableParallelism()
const carried = (r: Run): [string, string] => {
  if (r.cpu.chain === undefined || r.cpu.validators.length === 0) return ['-', '-']
  const all = r.cpu.validators.reduce((a, b) => a + b, 0) + r.cpu.chain + r.cpu.bench
  const ms = (all * 1000) / r.submitted
  return [String(Math.round(ms)), ((CORES * 1000) / ms).toFixed(1)]
}
const perJob = (seconds: number | undefined, r: Run) =>
  seconds === undefined ? '-' : String(Math.round((seconds * 1000) / r.submitted))
console.log(
  table(
    [
      'validators',
      'run',
      'validator CPU s (each)',
      'per job ms (median)',
      'chain CPU s',
      'per job ms',
      'bench CPU s',
      'per job ms',
      'all per job ms',
      `jobs/s ${CORES} cores carry`,
      'log parsing s',
    ],
    runs.map((r) => {
      const sorted = [...r.cpu.validators].sort((a, b) => a - b)
      const median = sorted[Math.floor((sorted.length - 1) / 2)]
      return [
        String(r.validators),
        r.mode,
        r.cpu.validators.map((s) => s.toFixed(1)).join(' ') || '-',
        perJob(median, r),
        r.cpu.chain?.toFixed(1) ?? '-',
        perJob(r.cpu.chain, r),
        r.cpu.bench.toFixed(1),
        perJob(r.cpu.bench, r),
        ...carried(r),
        r.cpu.harness.toFixed(1),
      ]
    }),
  ),
)
for (const w of warms) {
  console.log(
    `\n${w.validators} validators, ${w.mode}: the run's vault readied before any job (node/vault-warmer.ts)`,
  )
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
