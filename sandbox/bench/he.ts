/**
 * HE benchmark: for 10k, 100k and 1M records x {mean, variance, correlation,
 * linear model fit}, and the devnet's demo job on its demo vault: seller
 * encryption throughput, the job's whole evaluation time, its essential
 * time (every HE op of the job timed one by one and summed), their ratio
 * (efficiency), the same statistic in plain TypeScript (the floor),
 * rotations, bytes per encrypted value and peak memory. Prints a table and
 * writes bench-results/he.json.
 *
 *   npm run bench:he [-- --sizes 10000,100000,1000000 --workers 2 --demo true]
 */

import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Hex32 } from '../../protocol/index.ts'
import type { Circuit } from '../compiler/circuit.ts'
import { type CompileOptions, compile } from '../compiler/compile.ts'
import { decryptStats } from '../decrypt/decrypt.ts'
import { circuitIdOf, resultHashOf } from '../evaluator/bundle.ts'
import { evaluateCircuit } from '../evaluator/evaluate.ts'
import { Evaluator } from '../evaluator/evaluator.ts'
import { execEnvHash } from '../he/exec-env.ts'
import { generateKeys, loadEvaluationKeys, loadSecretKey, writeKeyDir } from '../he/keys.ts'
import { heContext } from '../he/seal.ts'
import { parseSpec } from '../spec/parse.ts'
import type { AlgorithmSpec } from '../spec/schema.ts'
import { OPEN_POLICY, TEST_PASSPHRASE, TEST_SCRYPT } from '../testing/fixtures.ts'
import { blobPath, getBlobSync } from '../vault/blob-dir.ts'
import { chunkRefs } from '../vault/chunk-refs.ts'
import { createVault } from '../vault/create.ts'
import { ExpandedCache } from '../vault/expanded-cache.ts'
import { BLOB_DIR, type VaultManifest } from '../vault/manifest.ts'
import { PolicySchema } from '../vault/policy.ts'
import { type VaultSchema, VaultSchemaSchema } from '../vault/schema.ts'
import { BenchSelfCheckError } from './errors.ts'
import { emptyTally, essentialMs, type OpTally, timedContext, timeOp } from './op-timer.ts'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    workers: { type: 'string', default: String(availableParallelism()) },
    out: { type: 'string', default: 'bench-results/he.json' },
    demo: { type: 'string', default: 'true' },
    // Also run every job with one result ciphertext per stat (the layout before packing), side by side.
    compare: { type: 'string', default: 'true' },
    // The jobs; false measures the sellers' encryption alone.
    jobs: { type: 'string', default: 'true' },
    // Encryption of each size at one and at two values per slot, alternating, side by side.
    encrypt: { type: 'string', default: 'true' },
  },
})
const sizes = args.sizes.split(',').map(Number)
/**
 * Layouts side by side: packs by 0/1 masks only, integer masks only for stats with no level to
 * spare (the fifth pass), packed as the sixth pass chose, and lone stats with no rotation (the
 * eighth pass, the default for at most MAX_LONE_RESULTS stats).
 */
const LAYOUTS: Record<string, CompileOptions> = {
  ', 0/1 packs only': { integerMasks: false, maxLoneResults: 0 },
  ', 0/1 where a level is spare': { preferIntegerMasks: false, maxLoneResults: 0 },
  ', packed': { maxLoneResults: 0 },
  '': {},
}
const layouts = args.compare === 'true' ? Object.keys(LAYOUTS) : ['']
const workers = Number(args.workers)

const schema: VaultSchema = {
  columns: [
    { name: 'x', type: 'number', min: 0, max: 100, nullable: false },
    { name: 'y', type: 'number', min: 0, max: 400, nullable: false },
    { name: 'z', type: 'number', min: -10, max: 10, nullable: false },
  ],
}

const specs: Record<string, AlgorithmSpec> = {
  mean: parseSpec({ version: 1, outputs: { out: { op: 'mean', of: 'x' } } }),
  variance: parseSpec({ version: 1, outputs: { out: { op: 'variance', of: 'x' } } }),
  correlation: parseSpec({ version: 1, outputs: { out: { op: 'correlation', of: ['x', 'y'] } } }),
  linear_model_fit: parseSpec({
    version: 1,
    outputs: { out: { op: 'linear_model_fit', model: { weights: { x: 2.5, z: -3 }, bias: 40 }, label: 'y' } },
  }),
}

/** The same statistics over in-memory columns: the plaintext baseline. */
const plain: Record<string, (x: Float64Array, y: Float64Array, z: Float64Array) => number> = {
  mean: (x) => {
    let s = 0
    for (let i = 0; i < x.length; i++) s += x[i]!
    return s / x.length
  },
  variance: (x) => {
    let s = 0
    let ss = 0
    for (let i = 0; i < x.length; i++) {
      s += x[i]!
      ss += x[i]! * x[i]!
    }
    return (ss - (s * s) / x.length) / (x.length - 1)
  },
  correlation: (x, y) => {
    let sx = 0
    let sy = 0
    let sxx = 0
    let syy = 0
    let sxy = 0
    for (let i = 0; i < x.length; i++) {
      sx += x[i]!
      sy += y[i]!
      sxx += x[i]! * x[i]!
      syy += y[i]! * y[i]!
      sxy += x[i]! * y[i]!
    }
    const n = x.length
    return (sxy - (sx * sy) / n) / Math.sqrt((sxx - (sx * sx) / n) * (syy - (sy * sy) / n))
  },
  linear_model_fit: (x, y, z) => {
    let sse = 0
    let sy = 0
    let syy = 0
    for (let i = 0; i < x.length; i++) {
      const e = y[i]! - (40 + 2.5 * x[i]! - 3 * z[i]!)
      sse += e * e
      sy += y[i]!
      syy += y[i]! * y[i]!
    }
    return 1 - sse / (syy - (sy * sy) / x.length)
  },
}

async function writeCsv(
  path: string,
  rows: number,
): Promise<{ x: Float64Array; y: Float64Array; z: Float64Array }> {
  const x = new Float64Array(rows)
  const y = new Float64Array(rows)
  const z = new Float64Array(rows)
  const out = createWriteStream(path)
  out.write('x,y,z\n')
  let seed = 12345
  const rnd = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    return seed / 2 ** 32
  }
  let buffer = ''
  for (let i = 0; i < rows; i++) {
    x[i] = Math.round(rnd() * 10000) / 100
    z[i] = Math.round((rnd() * 20 - 10) * 100) / 100
    y[i] =
      Math.round(Math.min(400, Math.max(0, 40 + 2.5 * x[i]! - 3 * z[i]! + 30 * (rnd() - 0.5))) * 100) / 100
    buffer += `${x[i]},${y[i]},${z[i]}\n`
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((r) => out.once('drain', () => r()))
      buffer = ''
    }
  }
  out.end(buffer)
  await new Promise<void>((r) => out.once('finish', () => r()))
  return { x, y, z }
}

async function blobBytes(manifest: VaultManifest, dir: string, names: Set<string>): Promise<number> {
  let total = 0
  for (const c of manifest.columns) {
    if (!names.has(c.name)) continue
    // A ciphertext of two values per slot is named by both its chunks: count it once.
    for (const id of new Set(c.chunks)) total += (await stat(blobPath(join(dir, BLOB_DIR), id))).size
  }
  return total
}

interface Row {
  records: number
  op: string
  encryptValuesPerSec: number
  /** the job's whole time in an evaluator worker (keys already loaded) */
  evalMs: number
  /** the job's HE ops, each timed alone, summed; decryption of the result included */
  essentialMs: number
  /** the same job replayed in this process, HE ops timed: its whole wall time, decryption included */
  replayMs: number
  /** essential / replay: both from the one replay, so the machine's load cancels out */
  efficiency: number
  ops: OpTally
  plainMs: number
  ratio: number
  aggregatedValuesPerSec: number
  bytesPerValue: number
  peakRssMiB: number
  sealHeapMiB: number
  stats: number
  resultCiphertexts: number
  rotations: number
  resultHash: Hex32
}

const keysDir = (work: string) => join(work, 'keys')

/** One `createVault` of a size at one or two values per slot. */
interface EncryptRow {
  records: number
  valuesPerSlot: 1 | 2
  round: number
  seconds: number
  /** stored values (records × stored columns) over the whole run, workers' start and keys included */
  valuesPerSec: number
  /** the same after the first ciphertexts came back: the rate a long file runs at */
  marginalValuesPerSec: number
  /** CPU time of the whole run, every thread of this process (the workers are threads) */
  cpuSeconds: number
  /**
   * values per CPU-second, times two: the rate two cores of their own would give if the work
   * spread over both. On a shared machine the wall-clock rates measure the neighbours' load.
   */
  twoCoreValuesPerSec: number
  bytesPerValue: number
}

async function encryptOnce(
  work: string,
  csv: string,
  vaultSchema: VaultSchema,
  valuesPerSlot: 1 | 2,
  round: number,
): Promise<EncryptRow> {
  const vaultDir = join(work, `vault-encrypt-${valuesPerSlot}`)
  const progress: Array<{ at: number; records: number }> = []
  const started = performance.now()
  const cpu = process.cpuUsage()
  const manifest = await createVault({
    csv,
    schema: vaultSchema,
    policy: OPEN_POLICY,
    keysDir: keysDir(work),
    passphrase: TEST_PASSPHRASE,
    outDir: vaultDir,
    workers,
    valuesPerSlot,
    onProgress: (records) => progress.push({ at: performance.now(), records }),
  })
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  const cpuSeconds = (used.user + used.system) / 1e6
  const stored = manifest.columns.length
  const first = progress[0]
  const last = progress.at(-1)
  const marginal =
    first && last && last.at > first.at
      ? ((last.records - first.records) * stored) / ((last.at - first.at) / 1000)
      : Number.NaN
  const names = new Set(manifest.columns.map((c) => c.name))
  const bytes = await blobBytes(manifest, vaultDir, names)
  await rm(vaultDir, { recursive: true, force: true })
  return {
    records: manifest.recordCount,
    valuesPerSlot,
    round,
    seconds,
    valuesPerSec: (manifest.recordCount * stored) / seconds,
    marginalValuesPerSec: marginal,
    cpuSeconds,
    twoCoreValuesPerSec: (2 * manifest.recordCount * stored) / cpuSeconds,
    bytesPerValue: bytes / (manifest.recordCount * stored),
  }
}

/**
 * One job measured twice: whole, in an evaluator worker as a node runs it;
 * then in this process with every HE op timed one by one (and the result
 * decrypted), which must reproduce the worker's result hash.
 */
async function measure(
  evaluator: Evaluator,
  work: string,
  vaultDir: string,
  manifest: VaultManifest,
  spec: AlgorithmSpec,
  options: CompileOptions,
): Promise<Omit<Row, 'records' | 'op' | 'encryptValuesPerSec' | 'plainMs' | 'ratio'>> {
  const blobDir = join(vaultDir, BLOB_DIR)
  const circuit = compile(spec, manifest, undefined, options)
  const inputs = new Set(circuit.stats.flatMap((s) => s.factors))
  // First run loads the vault's Galois keys into the worker and expands its blobs; time the second.
  await evaluator.evaluate(circuit, manifest, blobDir)
  const { bundle, timing } = await evaluator.evaluate(circuit, manifest, blobDir)
  const { tally, resultHash, wallMs } = await essential(circuit, manifest, blobDir, keysDir(work))
  if (resultHash !== bundle.resultHash) {
    throw new BenchSelfCheckError(`the timed replay of ${circuit.vaultId} diverged from the worker's result`)
  }
  const essentialTotal = essentialMs(tally)
  return {
    evalMs: timing.ms,
    essentialMs: essentialTotal,
    replayMs: wallMs,
    efficiency: essentialTotal / wallMs,
    ops: tally,
    aggregatedValuesPerSec: (manifest.recordCount * inputs.size) / (timing.ms / 1000),
    bytesPerValue: (await blobBytes(manifest, vaultDir, inputs)) / (manifest.recordCount * inputs.size),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    sealHeapMiB: timing.heapBytes / 2 ** 20,
    stats: circuit.cost.stats,
    resultCiphertexts: bundle.stats.length,
    rotations: tally.rotate.count,
    resultHash: bundle.resultHash,
  }
}

/** The job's HE ops timed one by one, in this process, on the same expanded blobs the worker read. */
async function essential(
  circuit: Circuit,
  manifest: VaultManifest,
  blobDir: string,
  keys: string,
): Promise<{ tally: OpTally; resultHash: Hex32; wallMs: number }> {
  const ctx = await heContext(manifest.profile)
  const evalKeys = loadEvaluationKeys(
    ctx,
    {
      relinKeys: getBlobSync(blobDir, manifest.keys.relinKeys),
      galoisKeys: getBlobSync(blobDir, manifest.keys.galoisKeys),
    },
    manifest.keys,
  )
  const secretKey = await loadSecretKey(ctx, keys, TEST_PASSPHRASE, manifest.keys.publicKey)
  const cache = new ExpandedCache(blobDir)
  const tally = emptyTally()
  try {
    const started = performance.now()
    const stats = evaluateCircuit(timedContext(ctx, tally), evalKeys, {
      circuit,
      columns: new Map(manifest.columns.map((c) => [c.name, chunkRefs(manifest, c.chunks)])),
      chunkCount: manifest.chunkCount,
      readBlob: (ref) => cache.readChunk(ctx, evalKeys.galoisKeys, ref),
    })
    const circuitId = circuitIdOf(circuit)
    const envHash = await execEnvHash(manifest.profile)
    const bundle = {
      circuitId,
      execEnvHash: envHash,
      stats,
      resultHash: resultHashOf(circuitId, envHash, stats),
    }
    timeOp(tally, 'decrypt', () => decryptStats(ctx, secretKey, bundle, circuit))
    return { tally, resultHash: bundle.resultHash, wallMs: performance.now() - started }
  } finally {
    evalKeys.delete()
    secretKey.delete()
  }
}

/** The devnet's demo: its CSV, schema and policy as `npm run devnet` encrypts them, and the job it submits. */
async function demoJob(): Promise<{
  csv: string
  schema: VaultSchema
  spec: AlgorithmSpec
  policy: typeof OPEN_POLICY
}> {
  const dir = new URL('../../devnet/data/', import.meta.url)
  const json = async (name: string): Promise<unknown> =>
    JSON.parse(await readFile(new URL(name, dir), 'utf8'))
  return {
    csv: new URL('heart.csv', dir).pathname,
    schema: VaultSchemaSchema.parse(await json('schema.json')),
    policy: PolicySchema.parse(await json('policy.json')),
    spec: parseSpec(await json('algo.json')),
  }
}

const work = await mkdtemp(join(tmpdir(), 'tcf-bench-he-'))
const rows: Row[] = []
const cacheRows: Array<{ op: string; firstMs: number; cachedMs: number }> = []
const encryptRows: EncryptRow[] = []
try {
  await writeKeyDir(keysDir(work), await generateKeys('ckks-8192', TEST_PASSPHRASE, TEST_SCRYPT))
  if (args.encrypt === 'true') {
    for (const records of sizes) {
      const csv = join(work, `encrypt-${records}.csv`)
      await writeCsv(csv, records)
      // Alternating, so that the machine's load falls on both alike.
      for (const round of [1, 2])
        for (const valuesPerSlot of [1, 2] as const) {
          const row = await encryptOnce(work, csv, schema, valuesPerSlot, round)
          encryptRows.push(row)
          console.error(
            `  encrypt ${records} at ${valuesPerSlot} per slot: ${row.valuesPerSec.toFixed(0)} values/s, ${row.bytesPerValue.toFixed(1)} B/value`,
          )
        }
      await rm(csv, { force: true })
    }
  }
  const evaluator = new Evaluator({ workers: 1 })
  evaluator.start()
  const encrypt = async (name: string, csv: string, vaultSchema: VaultSchema, policy = OPEN_POLICY) => {
    const vaultDir = join(work, `vault-${name}`)
    const started = performance.now()
    const manifest = await createVault({
      csv,
      schema: vaultSchema,
      policy: { ...policy, minAggregation: 1 },
      keysDir: keysDir(work),
      passphrase: TEST_PASSPHRASE,
      outDir: vaultDir,
      workers,
    })
    const seconds = (performance.now() - started) / 1000
    return {
      vaultDir,
      manifest,
      valuesPerSec: (manifest.recordCount * manifest.schema.columns.length) / seconds,
    }
  }
  if (args.jobs === 'true' && args.demo === 'true') {
    const demo = await demoJob()
    const { vaultDir, manifest, valuesPerSec } = await encrypt('demo', demo.csv, demo.schema, demo.policy)
    for (const layout of layouts) {
      const m = await measure(evaluator, work, vaultDir, manifest, demo.spec, LAYOUTS[layout]!)
      rows.push({
        records: manifest.recordCount,
        op: `demo job${layout}`,
        encryptValuesPerSec: valuesPerSec,
        plainMs: Number.NaN,
        ratio: Number.NaN,
        ...m,
      })
      console.error(`  demo job${layout}: ${m.evalMs.toFixed(0)} ms, ${m.rotations} rotations`)
    }
    // A later job over the same vault reading its stats back from the cache: what reuse saves.
    const cached = new Evaluator({ workers: 1, statCache: { dir: join(work, 'stat-cache') } })
    cached.start()
    try {
      const circuit = compile(demo.spec, manifest)
      const blobDir = join(vaultDir, BLOB_DIR)
      const first = await cached.evaluate(circuit, manifest, blobDir)
      const again = await cached.evaluate(circuit, manifest, blobDir)
      if (again.bundle.resultHash !== first.bundle.resultHash)
        throw new BenchSelfCheckError('the stat cache changed a result')
      const packed = rows.find((r) => r.op === 'demo job')
      if (packed && packed.resultHash !== again.bundle.resultHash)
        throw new BenchSelfCheckError('the stat cache changed a result')
      cacheRows.push({ op: 'demo job', firstMs: first.timing.ms, cachedMs: again.timing.ms })
      console.error(`  demo job, stats cached: ${again.timing.ms.toFixed(0)} ms`)
      // A distinct spec (the demo without its second output, as bench:devnet's distinct burst sends):
      // its packs are new, its stats cached, made ready for packs like its own.
      const outputs = Object.entries(demo.spec.outputs).filter((_, i) => i !== 1)
      const variant = compile(parseSpec({ version: 1, outputs: Object.fromEntries(outputs) }), manifest)
      const fresh = await evaluator.evaluate(variant, manifest, blobDir)
      const reused = await cached.evaluate(variant, manifest, blobDir)
      if (reused.bundle.resultHash !== fresh.bundle.resultHash)
        throw new BenchSelfCheckError('the stat cache changed the result of a distinct spec')
      cacheRows.push({ op: 'a distinct spec', firstMs: fresh.timing.ms, cachedMs: reused.timing.ms })
      console.error(`  a distinct spec, stats cached: ${reused.timing.ms.toFixed(0)} ms`)
    } finally {
      await cached.stop()
    }
    await rm(vaultDir, { recursive: true, force: true })
  }
  for (const records of args.jobs === 'true' ? sizes : []) {
    const csv = join(work, `data-${records}.csv`)
    const data = await writeCsv(csv, records)
    const { vaultDir, manifest, valuesPerSec } = await encrypt(String(records), csv, schema)
    for (const [op, spec] of Object.entries(specs))
      for (const layout of layouts) {
        const m = await measure(evaluator, work, vaultDir, manifest, spec, LAYOUTS[layout]!)
        const fn = plain[op]!
        const reps = Math.max(1, Math.round(2e6 / records))
        const p0 = performance.now()
        for (let i = 0; i < reps; i++) fn(data.x, data.y, data.z)
        const plainMs = (performance.now() - p0) / reps
        const label = `${op}${layout}`
        rows.push({
          records,
          op: label,
          encryptValuesPerSec: valuesPerSec,
          plainMs,
          ratio: m.evalMs / plainMs,
          ...m,
        })
        console.error(`  ${records} ${label}: ${m.evalMs.toFixed(0)} ms`)
      }
    await rm(vaultDir, { recursive: true, force: true })
    await rm(csv, { force: true })
  }
  await evaluator.stop()
} finally {
  await rm(work, { recursive: true, force: true })
}

const fmt = (n: number, d = 0) =>
  Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const header = [
  'records',
  'op',
  'encrypt val/s',
  'eval ms',
  'replay ms',
  'essential ms',
  'efficiency',
  'rotations',
  'result cts',
  'plain ms',
  'HE/plain',
  'agg val/s',
  'B/value',
  'SEAL heap MiB',
]
const body = rows.map((r) => [
  fmt(r.records),
  r.op,
  fmt(r.encryptValuesPerSec),
  fmt(r.evalMs, 1),
  fmt(r.replayMs, 1),
  fmt(r.essentialMs, 1),
  fmt(r.efficiency, 2),
  fmt(r.rotations),
  fmt(r.resultCiphertexts),
  fmt(r.plainMs, 3),
  fmt(r.ratio),
  fmt(r.aggregatedValuesPerSec),
  fmt(r.bytesPerValue, 1),
  fmt(r.sealHeapMiB),
])
const table = (head: string[], cells: string[][]) => {
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((b) => b[i]!.length)))
  const line = (row: string[]) => row.map((c, i) => c.padStart(widths[i]!)).join('  ')
  console.log(line(head))
  for (const b of cells) console.log(line(b))
}
if (encryptRows.length > 0) {
  console.log(`encryption, ${workers} workers (values: records x stored columns):`)
  table(
    [
      'records',
      'values/slot',
      'round',
      'seconds',
      'values/s',
      'marginal values/s',
      'CPU s',
      '2 x values/CPU-s',
      'B/value',
    ],
    encryptRows.map((r) => [
      fmt(r.records),
      String(r.valuesPerSlot),
      String(r.round),
      fmt(r.seconds, 2),
      fmt(r.valuesPerSec),
      fmt(r.marginalValuesPerSec),
      fmt(r.cpuSeconds, 2),
      fmt(r.twoCoreValuesPerSec),
      fmt(r.bytesPerValue, 1),
    ]),
  )
  console.log('')
}
if (body.length > 0) table(header, body)
console.log(`
essential ms per op kind (count):`)
for (const r of rows) {
  const parts = Object.entries(r.ops)
    .filter(([, t]) => t.count > 0)
    .map(([k, t]) => `${k} ${t.ms.toFixed(1)} (${t.count})`)
  console.log(`  ${fmt(r.records)} ${r.op}: ${parts.join(', ')}`)
}
for (const c of cacheRows) {
  console.log(
    `\n${c.op} with an accumulated-stat cache: ${fmt(c.firstMs, 1)} ms ${c.op === 'demo job' ? 'filling it' : 'without it'}, ${fmt(c.cachedMs, 1)} ms reading it back (same result hash)`,
  )
}
console.log(`
What bounds each figure:
  eval ms       the job in an evaluator worker as a node runs it: blob reads, ciphertext loads, every HE op
  essential ms  the same job's HE ops (encode, add, multiply, relinearize, rescale, rotate, decrypt) timed
                one by one in node-seal (WASM): what the job cannot do without; native SEAL would be
                about 2.3x faster on key switching (node-seal's BENCHMARK.md), the bound no code here moves
  replay ms     the job again in this process with its HE ops timed, decryption included: wall time
  efficiency    essential / replay, from the same replay: the rest is loads, copies, JS glue and waits
  plain ms      the same statistic over in-memory Float64Arrays: the floor with no encryption at all
  rotations     key switches of the rotate-and-sum, counted as the job ran; each costs about a relinearization
  B/value       bytes of the input ciphertexts as stored and sent, per encrypted value
  values/s      the seller's whole createVault (workers' start, the key's opening, keys copied in);
                marginal: from the first ciphertexts back to the last, the rate a long file runs at;
                2 x values/CPU-s: the CPU time every thread spent, as the rate of two idle cores`)
await mkdir('bench-results', { recursive: true })
await writeFile(
  args.out,
  `${JSON.stringify({ bench: 'he', profile: 'ckks-8192', encryptWorkers: workers, evalWorkers: 1, date: new Date().toISOString(), rows, statCache: cacheRows, encryption: encryptRows }, null, 2)}\n`,
)
console.log(`\nwrote ${args.out}`)
