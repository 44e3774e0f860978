/**
 * Pool benchmark: the traffic market's contributions (a day of trips per
 * vehicle: grid cell, hour, speed) for a heatmap of trips per cell and hour
 * and the mean speed per cell. Reports a contribution's encrypt time and
 * size (with SEAL's compression modes, and the same trips as an ordinary
 * vault's encryption for reference), the ingestion rate on one core (check,
 * add into the running aggregate, hash for the log; and with the aggregate
 * serialized after every contribution), and the heatmap job's latency for
 * 1k, 10k and 100k contributors (threshold decryption of the aggregate by a
 * 3-of-4 committee, then the private release), with the decryption's error
 * against the plaintext totals. The release is made twice: sized per record
 * (as a vault's, what a pool must not use) and with the contributor as the
 * unit (planPoolRelease, releasePool: each vehicle one contribution, cells
 * gated by their contributor counts), to state what the contributor unit
 * costs per cell; and the contributor-unit job again as the committee's slot release (each member's
 * full-polynomial share with its privacy noise per slot, the buyer's combination and release).
 * Prints a table and writes bench-results/pool.json.
 *
 *   npm run bench:pool [-- --contributors 1000,10000,100000 --trips 10 --cells 80]
 */

import { mkdir, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { blobIdOf, type Hex32 } from '../../protocol/vocabulary.ts'
import type { Circuit } from '../compiler/circuit.ts'
import { compile } from '../compiler/compile.ts'
import { PoolAggregate } from '../contribution/aggregate.ts'
import { Contributor } from '../contribution/contributor.ts'
import { encodeContribution, type PoolRecord } from '../contribution/encode.ts'
import { gatesOf } from '../contribution/gates.ts'
import { monomialsOf, type PoolLayout, poolLayout, poolSlot, poolStats } from '../contribution/layout.ts'
import { ENVELOPE_BYTES } from '../contribution/wire.ts'
import { planPrivacy } from '../dp/plan.ts'
import { type PoolPrivacyPlan, planPoolRelease, poolRecordBound } from '../dp/pool-plan.ts'
import { releasePool } from '../dp/pool-release.ts'
import { poolSlotNoise } from '../dp/pool-slot-noise.ts'
import { SystemRandom } from '../dp/random.ts'
import { releaseOutputs } from '../dp/release.ts'
import { SandboxError } from '../errors.ts'
import { packCiphertext } from '../he/packed.ts'
import { heContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'
import { parseSpec } from '../spec/parse.ts'
import { testManifest } from '../testing/manifest.ts'
import { SeededRandom } from '../testing/seeded-random.ts'
import { testCommittee, thresholdOpen } from '../testing/threshold-committee.ts'
import { DEFAULT_SMUDGING_BITS, smudgingErrorBound } from '../threshold/decrypt.ts'
import { openPoolRelease } from '../threshold/pool-open.ts'
import { poolOutputShare } from '../threshold/pool-share.ts'
import { storedColumns } from '../vault/layout.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { BenchSelfCheckError } from './errors.ts'

const { values: args } = parseArgs({
  options: {
    contributors: { type: 'string', default: '1000,10000,100000' },
    trips: { type: 'string', default: '10' },
    cells: { type: 'string', default: '80' },
    'min-contributors': { type: 'string', default: '10' },
    samples: { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench-results/pool.json' },
  },
})
const sizes = args.contributors.split(',').map(Number)
const trips = Number(args.trips)
const cellCount = Number(args.cells)
const samples = Number(args.samples)
const minContributors = Number(args['min-contributors'])

const schema: VaultSchema = {
  columns: [
    {
      name: 'cell',
      type: 'categorical',
      categories: Array.from({ length: cellCount }, (_, i) => `g${i}`),
      nullable: false,
    },
    { name: 'hour', type: 'bucketed', edges: Array.from({ length: 25 }, (_, i) => i), nullable: false },
    { name: 'speed', type: 'number', min: 0, max: 130, nullable: true },
  ],
}
const spec = parseSpec({
  version: 1,
  outputs: {
    trips: { op: 'histogram2d', of: ['cell', 'hour'], epsilon: 0.5 },
    speed: { op: 'group_mean', of: 'speed', by: 'cell', epsilon: 0.5 },
  },
})
const policy = { allowedOps: ['histogram2d' as const, 'group_mean' as const], minAggregation: 1, price: '0' }
const poolPolicy = { ...policy, privacy: { epsilon: 10, maxEpsilonPerJob: 1, unit: 'contributor' as const } }
const keyId = `0x${'7c'.repeat(32)}` as Hex32

const ms = (start: number) => performance.now() - start
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (v: number, digits = 1) => v.toLocaleString('en-US', { maximumFractionDigits: digits })

const ctx = await heContext('ckks-8192')
const { seal } = ctx
const committee = testCommittee(ctx, 4, 'bench-pool')
const largest = Math.max(...sizes)
// The largest scale whose aggregate still holds every record-slot of the largest pool, and as much
// again for the slot release's privacy noise (checkSlotCapacity): one bit below what the records need.
const scaleBits = Math.min(ctx.profile.scaleBits, 57 - Math.ceil(Math.log2(largest * trips)))
const layout: PoolLayout = poolLayout({
  profile: 'ckks-8192',
  schema,
  monomials: monomialsOf(compile(spec, testManifest(schema, largest * trips, policy))),
  maxRecords: trips,
  scaleBits,
})
const contributor = new Contributor(ctx, layout, { id: keyId, publicKey: committee.publicKey })

// A day of trips of one vehicle: a home cell and its neighbours, mostly at commuting hours.
const random = new SeededRandom('bench-pool')
const uniform = () => Number(random.uniform(1n << 32n)) / 2 ** 32
function day(): PoolRecord[] {
  const home = Math.floor(uniform() * cellCount)
  return Array.from({ length: trips }, () => {
    const hour = uniform() < 0.6 ? [7, 8, 17, 18][Math.floor(uniform() * 4)]! : Math.floor(uniform() * 24)
    const cell = (home + Math.floor(uniform() * 3)) % cellCount
    const rush = hour === 8 || hour === 17
    return {
      cell: `g${cell}`,
      hour,
      speed: uniform() < 0.05 ? null : Math.round((rush ? 25 : 45) + uniform() * 40),
    }
  })
}

/**
 * A pool job's slot release on the aggregate: each member of S = {1, 2, 3} computes its share (its
 * smudged key share times c1 plus its privacy noise in every slot; the median of the three is what a
 * member adds, members running in parallel), and the buyer checks, combines and releases. A plan whose
 * noise would not fit the aggregate's prime is refused, and reported as such.
 */
function timeSlotRelease(
  aggregate: Uint8Array,
  circuit: Circuit,
  plan: PoolPrivacyPlan,
  size: number,
): Record<string, number | string> {
  const participants = [1, 2, 3]
  const opening = {
    aggregate,
    participants,
    label: `bench/${size}`,
    slotNoise: poolSlotNoise(plan, layout, circuit),
    recordBound: circuit.recordCount,
  }
  try {
    const times: number[] = []
    const shares = participants.map((i) => {
      const t = performance.now()
      const share = poolOutputShare(ctx, committee.keys[i - 1]!, opening)
      times.push(ms(t))
      return share
    })
    const t = performance.now()
    const released = openPoolRelease({
      ctx,
      aggregate,
      participants,
      shares,
      manifest: testManifest(schema, circuit.recordCount, poolPolicy),
      circuit,
      plan,
      layout,
      expect: {},
    })
    const buyerMs = ms(t)
    const heat = released.finished.outputs.trips!
    if ('withheld' in heat || heat.op !== 'histogram2d')
      throw new BenchSelfCheckError('the slot release withheld the heatmap')
    return {
      memberShareMs: median(times),
      memberShareBytes: shares[0]!.length,
      buyerMs,
      thresholdCellError95: heat.error95?.cell ?? 0,
      thresholdCellsReleased: heat.cells.flat().filter((c) => c !== null).length,
    }
  } catch (e) {
    if (e instanceof SandboxError && e.code === 'NOISE_TOO_WIDE') return { slotRelease: e.message }
    throw e
  }
}

/** The mean plaintext contributor count over an output's gates: how full a cell is on average. */
function meanGate(output: string, plain: Float64Array): number {
  const circuit = compile(spec, testManifest(schema, 1e6, policy))
  const keys = gatesOf(circuit)
    .filter((g) => g.output === output)
    .map((g) => g.key)
  return keys.reduce((a, k) => a + poolSlot(layout, k, plain), 0) / keys.length
}

// 1. The contributor's side.
const pool: Uint8Array[] = []
const slotsOf: Float64Array[] = []
const encodeMs: number[] = []
const encryptMs: number[] = []
for (let i = 0; i < samples; i++) {
  let t = performance.now()
  const slots = encodeContribution(layout, day())
  encodeMs.push(ms(t))
  t = performance.now()
  pool.push(contributor.encryptSlots(slots))
  encryptMs.push(ms(t))
  slotsOf.push(slots)
}
const wireBytes = pool[0]!.length

// 2. What SEAL's compression and the level make of it.
const sealBytes = pool[0]!.subarray(ENVELOPE_BYTES)
const ct = loadInto(ctx, () => new seal.Ciphertext(), sealBytes, 'contribution', 'CIPHERTEXT_INVALID')
const sizeOf = (mode: 'none' | 'zstd' | 'zlib') =>
  (ct.saveToArray(seal.ComprModeType[mode]) as Uint8Array).length
const top = (() => {
  const pk = loadInto(ctx, () => new seal.PublicKey(), committee.publicKey, 'public key', 'KEY_INVALID')
  const enc = new seal.Encryptor(ctx.context, pk)
  const plain = new seal.Plaintext()
  const c = new seal.Ciphertext()
  ctx.encoder.encode(slotsOf[0]!, ctx.scale, plain)
  enc.encrypt(plain, c)
  const out = {
    none: (c.saveToArray(seal.ComprModeType.none) as Uint8Array).length,
    zstd: (c.saveToArray(seal.ComprModeType.zstd) as Uint8Array).length,
  }
  for (const o of [pk, enc, plain, c]) o.delete()
  return out
})()
const n = ctx.profile.polyModulusDegree
const sizes60 = {
  wire: wireBytes,
  sealNone: sizeOf('none'),
  sealZstd: sizeOf('zstd'),
  sealZlib: sizeOf('zlib'),
  // 60 of 64 bits per residue kept (not implemented: 6% for a JS unpacking on every ingestion)
  bitPackedEstimate: ENVELOPE_BYTES + 113 + (2 * n * 60) / 8,
  topLevelNone: top.none,
  topLevelZstd: top.zstd,
}
ct.delete()

// 3. The same trips as an ordinary vault: one seeded, bit-packed ciphertext per stored column.
const vaultRef = (() => {
  const keygen = new seal.KeyGenerator(ctx.context)
  const sk = keygen.secretKey()
  const enc = new seal.Encryptor(ctx.context, keygen.createPublicKey(), sk)
  const plain = new seal.Plaintext()
  const columns = storedColumns(schema).length
  const times: number[] = []
  let bytes = 0
  for (let s = 0; s < 5; s++) {
    const t = performance.now()
    bytes = 0
    for (let c = 0; c < columns; c++) {
      const values = new Float64Array(ctx.profile.slotCount)
      values[c % trips] = 1
      ctx.encoder.encode(values, ctx.scale, plain)
      const serializable = enc.encryptSymmetricSerializable(plain)
      bytes += packCiphertext(
        ctx.profile,
        serializable.saveToArray(seal.ComprModeType.none) as Uint8Array,
      ).length
      serializable.delete()
    }
    times.push(ms(t))
  }
  for (const o of [plain, enc, sk, keygen]) o.delete()
  return { columns, bytes, ms: median(times) }
})()

// 4 and 5. Ingestion into the running aggregate, and the job at each size.
const aggregate = new PoolAggregate(ctx, layout, keyId)
const truth = new Float64Array(ctx.profile.slotCount)
const rows: Array<Record<string, number | string>> = []
let ingested = 0
let ingestMs = 0
for (const size of sizes) {
  const t = performance.now()
  for (; ingested < size; ingested++) {
    const bytes = pool[ingested % pool.length]!
    aggregate.add(bytes)
    // what the log keys the contribution by; its bytes are kept as they came
    blobIdOf(bytes)
  }
  ingestMs += ms(t)
  for (let i = rows.length === 0 ? 0 : sizes[rows.length - 1]!; i < size; i++) {
    const s = slotsOf[i % slotsOf.length]!
    for (let j = 0; j < layout.monomials.length; j++) truth[j]! += s[j]!
  }
  // The job: threshold decryption (3 of 4), the circuit's stats from the slots, the private release.
  const jobStart = performance.now()
  const sum = aggregate.toBytes()
  const slots = thresholdOpen(committee, sum, [1, 2, 3], `pool/${size}`)
  const manifest = testManifest(schema, size * trips, policy)
  const circuit = compile(spec, manifest)
  const plan = planPrivacy(spec, circuit, manifest)
  const released = releaseOutputs({
    manifest,
    circuit,
    plan,
    expect: {},
    stats: poolStats(layout, circuit, slots),
    random: new SystemRandom(),
  })
  const jobMs = ms(jobStart)
  // The same job with the contributor as the unit: each vehicle one contribution in this snapshot.
  const counts = new Map(Array.from({ length: size }, (_, i) => [`vehicle-${i}`, 1]))
  const poolCircuit = compile(spec, testManifest(schema, poolRecordBound(layout, counts), poolPolicy))
  const poolPlan = planPoolRelease({
    spec,
    circuit: poolCircuit,
    layout,
    policy: poolPolicy,
    minContributors,
    counts,
  })
  const pooled = releasePool({
    manifest: testManifest(schema, poolCircuit.recordCount, poolPolicy),
    circuit: poolCircuit,
    plan: poolPlan,
    layout,
    expect: {},
    slots,
    random: new SystemRandom(),
  })
  const slotRelease = timeSlotRelease(sum, poolCircuit, poolPlan, size)
  let worst = 0
  for (let j = 0; j < layout.monomials.length; j++) worst = Math.max(worst, Math.abs(slots[j]! - truth[j]!))
  const bound = smudgingErrorBound(n, 3, DEFAULT_SMUDGING_BITS, 2 ** scaleBits)
  if (worst > bound + 1e-3 * size) {
    throw new BenchSelfCheckError(`decrypted slots off by ${worst}, more than the smudging bound ${bound}`)
  }
  const heat = released.finished.outputs.trips!
  if ('withheld' in heat) throw new BenchSelfCheckError('the heatmap was withheld')
  const poolHeat = pooled.finished.outputs.trips!
  if ('withheld' in poolHeat || poolHeat.op !== 'histogram2d')
    throw new BenchSelfCheckError('the pool heatmap was withheld')
  const poolSpeed = pooled.finished.outputs.speed!
  const cellGate = poolPlan.gates.find((g) => g.output === 'trips')!
  const cellsReleased = poolHeat.cells.flat().filter((c) => c !== null).length
  const groupsReleased =
    'withheld' in poolSpeed || poolSpeed.op !== 'group_mean'
      ? 0
      : Object.values(poolSpeed.groups).filter((g) => g !== null).length
  rows.push({
    contributors: size,
    records: size * trips,
    ingestPerSec: ingested / (ingestMs / 1000),
    jobMs,
    slotError: worst,
    cellError95: heat.error95?.cell ?? 0,
    contributorCellError95: poolPlan.outputs[0]!.error95.cell ?? 0,
    gateThreshold: cellGate.threshold,
    meanContributorsPerCell: meanGate(cellGate.output, truth),
    cellsReleased,
    cells: poolHeat.cells.flat().length,
    groupsReleased,
    ...slotRelease,
  })
}
const checkpointMs = (() => {
  const t = performance.now()
  for (let i = 0; i < 50; i++) aggregate.toBytes()
  return ms(t) / 50
})()
const perContributionMs = ingestMs / ingested
aggregate.delete()
contributor.delete()

const summary = {
  layout: { monomials: layout.monomials.length, maxRecords: trips, scaleBits, cells: cellCount, hours: 24 },
  contribution: {
    encodeMs: median(encodeMs),
    encryptMs: median(encryptMs),
    bytes: sizes60,
    vaultReference: vaultRef,
  },
  ingestion: {
    msPerContribution: perContributionMs,
    perSecondPerCore: 1000 / perContributionMs,
    checkpointMs,
    perSecondWithCheckpointEach: 1000 / (perContributionMs + checkpointMs),
  },
  jobs: rows,
}

console.log(
  `\nlayout: ${layout.monomials.length} monomials (${cellCount} cells × 24 hours, count and speed sum per cell, n; a contributors slot per heatmap cell and per cell),`,
)
console.log(`        ${trips} trips per contribution, scale 2^${scaleBits}\n`)
console.log('contribution (one vehicle, one day)')
console.log(
  `  encode ${fmt(median(encodeMs), 2)} ms, encrypt ${fmt(median(encryptMs), 2)} ms (median of ${samples})`,
)
console.log(
  `  wire ${fmt(wireBytes, 0)} B: SEAL none ${fmt(sizes60.sealNone, 0)}, zstd ${fmt(sizes60.sealZstd, 0)}, zlib ${fmt(sizes60.sealZlib, 0)}, 60-bit packing would give ~${fmt(sizes60.bitPackedEstimate, 0)}`,
)
console.log(`  the same without the level switch (3 primes): ${fmt(top.none, 0)} B, zstd ${fmt(top.zstd, 0)}`)
console.log(
  `  reference, the same trips as a vault: ${vaultRef.columns} column ciphertexts, ${fmt(vaultRef.bytes, 0)} B, ${fmt(vaultRef.ms, 0)} ms`,
)
console.log('\ningestion, one core (check + add + hash for the log)')
console.log(`  ${fmt(perContributionMs, 3)} ms each: ${fmt(1000 / perContributionMs, 0)} contributions/s`)
console.log(
  `  aggregate serialized after every one (+${fmt(checkpointMs, 3)} ms): ${fmt(summary.ingestion.perSecondWithCheckpointEach, 0)}/s\n`,
)
const printTable = (header: string[], table: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)))
  console.log(header.map((h, i) => h.padStart(widths[i]!)).join('  '))
  for (const r of table) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '))
}
printTable(
  ['contributors', 'records', 'ingest/s (so far)', 'job ms', 'max slot error', 'cell ±95% per record'],
  rows.map((r) => [
    fmt(r.contributors as number, 0),
    fmt(r.records as number, 0),
    fmt(r.ingestPerSec as number, 0),
    fmt(r.jobMs as number, 0),
    fmt(r.slotError as number, 4),
    fmt(r.cellError95 as number, 2),
  ]),
)
console.log(
  `\nthe contributor as the unit (each vehicle 1 contribution of ≤ ${trips} trips; minimum ${minContributors} contributors per released number, false release ≤ 2^-20)`,
)
printTable(
  [
    'contributors',
    'cell ±95%',
    'gate (contributors)',
    'mean contributors/cell',
    'cells released',
    'speed groups released',
  ],
  rows.map((r) => [
    fmt(r.contributors as number, 0),
    fmt(r.contributorCellError95 as number, 1),
    fmt(r.gateThreshold as number, 0),
    fmt(r.meanContributorsPerCell as number, 1),
    `${fmt(r.cellsReleased as number, 0)} of ${fmt(r.cells as number, 0)}`,
    `${r.groupsReleased} of ${cellCount}`,
  ]),
)

console.log(
  '\nthe slot release of the same job (members 1, 2, 3 of 4: each a full-polynomial share with its noise in every slot; the buyer combines and releases)',
)
printTable(
  [
    'contributors',
    'member share ms',
    'share bytes',
    'buyer combine+release ms',
    'cell ±95% (3 noises)',
    'cells released',
  ],
  rows.map((r) =>
    typeof r.slotRelease === 'string'
      ? [fmt(r.contributors as number, 0), 'refused', '', '', '', r.slotRelease]
      : [
          fmt(r.contributors as number, 0),
          fmt(r.memberShareMs as number, 0),
          fmt(r.memberShareBytes as number, 0),
          fmt(r.buyerMs as number, 0),
          fmt(r.thresholdCellError95 as number, 1),
          `${fmt(r.thresholdCellsReleased as number, 0)} of ${fmt(r.cells as number, 0)}`,
        ],
  ),
)

await mkdir('bench-results', { recursive: true })
await writeFile(args.out, `${JSON.stringify(summary, null, 2)}\n`)
console.log(`\nwrote ${args.out}`)
