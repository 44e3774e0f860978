/**
 * HE benchmark: for 10k, 100k and 1M records x {mean, variance, correlation,
 * linear model fit}: seller encryption throughput, evaluation time, the same
 * statistic in plain TypeScript, their ratio, bytes per encrypted value and
 * peak memory. Prints a table and writes bench-results/he.json.
 *
 *   npm run bench:he [-- --sizes 10000,100000,1000000 --workers 2]
 */
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { compile } from '../compiler/compile.ts'
import { Evaluator } from '../evaluator/evaluator.ts'
import { generateKeys, writeKeyDir } from '../he/keys.ts'
import { parseSpec } from '../spec/parse.ts'
import type { AlgorithmSpec } from '../spec/schema.ts'
import { OPEN_POLICY, TEST_PASSPHRASE, TEST_SCRYPT } from '../testing/fixtures.ts'
import { blobPath } from '../vault/blob-dir.ts'
import { createVault } from '../vault/create.ts'
import { BLOB_DIR, type VaultManifest } from '../vault/manifest.ts'
import type { VaultSchema } from '../vault/schema.ts'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    workers: { type: 'string', default: String(availableParallelism()) },
    out: { type: 'string', default: 'bench-results/he.json' },
  },
})
const sizes = args.sizes.split(',').map(Number)
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
    for (const id of c.chunks) total += (await stat(blobPath(join(dir, BLOB_DIR), id))).size
  }
  return total
}

interface Row {
  records: number
  op: string
  encryptValuesPerSec: number
  evalMs: number
  plainMs: number
  ratio: number
  aggregatedValuesPerSec: number
  bytesPerValue: number
  peakRssMiB: number
  sealHeapMiB: number
  stats: number
  rotations: number
}

const work = await mkdtemp(join(tmpdir(), 'tcf-bench-he-'))
const rows: Row[] = []
try {
  const keysDir = join(work, 'keys')
  await writeKeyDir(keysDir, await generateKeys('ckks-8192', TEST_PASSPHRASE, TEST_SCRYPT))
  const evaluator = new Evaluator({ workers: 1 })
  evaluator.start()
  for (const records of sizes) {
    const csv = join(work, `data-${records}.csv`)
    const data = await writeCsv(csv, records)
    const vaultDir = join(work, `vault-${records}`)
    const started = performance.now()
    const manifest = await createVault({
      csv,
      schema,
      policy: { ...OPEN_POLICY, minAggregation: 1 },
      keysDir,
      passphrase: TEST_PASSPHRASE,
      outDir: vaultDir,
      workers,
    })
    const encryptSeconds = (performance.now() - started) / 1000
    const encryptValuesPerSec = (records * manifest.columns.length) / encryptSeconds
    for (const [op, spec] of Object.entries(specs)) {
      const circuit = compile(spec, manifest)
      const inputs = new Set(circuit.stats.flatMap((s) => s.factors))
      // First run loads the vault's Galois keys into the worker; time the second.
      await evaluator.evaluate(circuit, manifest, join(vaultDir, BLOB_DIR))
      const { timing } = await evaluator.evaluate(circuit, manifest, join(vaultDir, BLOB_DIR))
      const fn = plain[op]!
      const reps = Math.max(1, Math.round(2e6 / records))
      const p0 = performance.now()
      for (let i = 0; i < reps; i++) fn(data.x, data.y, data.z)
      const plainMs = (performance.now() - p0) / reps
      rows.push({
        records,
        op,
        encryptValuesPerSec,
        evalMs: timing.ms,
        plainMs,
        ratio: timing.ms / plainMs,
        aggregatedValuesPerSec: (records * inputs.size) / (timing.ms / 1000),
        bytesPerValue: (await blobBytes(manifest, vaultDir, inputs)) / (records * inputs.size),
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
        sealHeapMiB: timing.heapBytes / 2 ** 20,
        stats: circuit.cost.stats,
        rotations: circuit.cost.rotations,
      })
      console.error(`  ${records} ${op}: ${timing.ms.toFixed(0)} ms`)
    }
    await rm(vaultDir, { recursive: true, force: true })
    await rm(csv, { force: true })
  }
  await evaluator.stop()
} finally {
  await rm(work, { recursive: true, force: true })
}

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const header = [
  'records',
  'op',
  'encrypt val/s',
  'eval ms',
  'plain ms',
  'HE/plain',
  'agg val/s',
  'B/value',
  'peak RSS MiB',
  'SEAL heap MiB',
]
const body = rows.map((r) => [
  fmt(r.records),
  r.op,
  fmt(r.encryptValuesPerSec),
  fmt(r.evalMs, 1),
  fmt(r.plainMs, 3),
  fmt(r.ratio),
  fmt(r.aggregatedValuesPerSec),
  fmt(r.bytesPerValue, 1),
  fmt(r.peakRssMiB),
  fmt(r.sealHeapMiB),
])
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ')
console.log(line(header))
for (const b of body) console.log(line(b))
await mkdir('bench-results', { recursive: true })
await writeFile(
  args.out,
  `${JSON.stringify({ bench: 'he', profile: 'ckks-8192', encryptWorkers: workers, evalWorkers: 1, date: new Date().toISOString(), rows }, null, 2)}\n`,
)
console.log(`\nwrote ${args.out}`)
