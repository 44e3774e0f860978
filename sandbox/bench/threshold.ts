/**
 * Threshold benchmark, n = 4 and 7 (t = 2f+1), profile ckks-8192, one core:
 * per member, the time and bytes of each key-generation protocol (DKG
 * dealing, CKG, RKG's two rounds, RTG for the rotate-and-sum steps), then
 * decryption-share and public-key-switching share generation and
 * combination on a result-level ciphertext (full, and one stat as one
 * coefficient), bytes per share, and the
 * release latency against owner mode (one SEAL decryption). Members run in
 * one process here; on a network they run in parallel, so a member's time
 * is the latency it adds. Prints a table and writes bench-results/threshold.json.
 *
 *   npm run bench:threshold [-- --sizes 4,7]
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { rotateAndSumSteps } from '../he/profiles.ts'
import { heContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'
import { decryptWith, encryptUnder, maxAbsDiff } from '../testing/threshold-committee.ts'
import { ckgCombine, ckgCommitment, ckgShare } from '../threshold/ckg.ts'
import { bftCommittee } from '../threshold/committee.ts'
import {
  combineDecryption,
  DEFAULT_SMUDGING_BITS,
  decodePlaintext,
  decryptionShare,
  smudgingErrorBound,
} from '../threshold/decrypt.ts'
import { ThresholdError } from '../threshold/errors.ts'
import { dealKeyShares, memberKey } from '../threshold/key-share.ts'
import { galoisElement } from '../threshold/kswitch.ts'
import { newMemberSecret } from '../threshold/member.ts'
import { pcksCombine, pcksShare } from '../threshold/pcks.ts'
import { encodePoly } from '../threshold/poly-codec.ts'
import { rkgAggregate, rkgCombine, rkgRound1, rkgRound2 } from '../threshold/rkg.ts'
import { type RnsPoly, rnsBasis } from '../threshold/rns.ts'
import { galoisKeysBytes, rtgCombine, rtgShare } from '../threshold/rtg.ts'
import { combineStat, statShare } from '../threshold/stat-decrypt.ts'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '4,7' },
    out: { type: 'string', default: 'bench-results/threshold.json' },
  },
})
const sizes = args.sizes.split(',').map(Number)

const ctx = await heContext('ckks-8192')
const basis = rnsBasis(ctx)
const steps = rotateAndSumSteps(ctx.profile.slotCount)

/**
 * Runs f once per member; the time is the median over members, which is
 * what one member adds when all run in parallel (and steadier than any one
 * run on a shared machine).
 */
function perMember<T>(count: number, f: (i: number) => T): { results: T[]; ms: number } {
  const results: T[] = []
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const t0 = performance.now()
    results.push(f(i))
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return { results, ms: times[Math.floor(times.length / 2)]! }
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now()
  const value = f()
  return { value, ms: performance.now() - t0 }
}

const bytesOf = (polys: readonly RnsPoly[]) => polys.reduce((a, p) => a + encodePoly(p).length, 0)

interface Row {
  n: number
  t: number
  dkgDealMs: number
  dkgAggregateMs: number
  dkgBytesSent: number
  ckgShareMs: number
  ckgBytes: number
  ckgCombineMs: number
  rkgRound1Ms: number
  rkgRound2Ms: number
  rkgBytes: number
  rkgCombineMs: number
  rtgShareMs: number
  rtgBytes: number
  rtgCombineMs: number
  rtgSteps: number
  keygenMsPerMember: number
  keygenBytesPerMember: number
  decShareMs: number
  decShareBytes: number
  decCombineMs: number
  decMaxError: number
  decErrorBound: number
  statShareMs: number
  statShareBytes: number
  statCombineMs: number
  pcksShareMs: number
  pcksShareBytes: number
  pcksCombineMs: number
  ownerDecryptMs: number
  thresholdReleaseMs: number
  pcksReleaseMs: number
}

// Warm the JIT on the hot loops (NTT, sampling, pointwise products) so the first size is not charged for it.
{
  const warm = newMemberSecret(bftCommittee(4), 1)
  for (let i = 0; i < 3; i++) rtgShare(basis, warm, { id: 'bench/warm', crs: new Uint8Array(32) }, 3)
}

const rows: Row[] = []
for (const n of sizes) {
  const committee = bftCommittee(n)
  const { t } = committee
  console.error(`n = ${n}, t = ${t}`)
  const members = Array.from({ length: n }, (_, i) => newMemberSecret(committee, i + 1))

  const deal = perMember(n, (i) => dealKeyShares(basis, members[i]!, 'bench/dkg'))
  const agg = perMember(n, (j) =>
    memberKey(
      basis,
      members[j]!,
      deal.results.map((d) => d[j]!),
    ),
  )
  const keys = agg.results
  // point to point: one share to each other member
  const dkgBytesSent = bytesOf(deal.results[0]!.slice(1))

  const ckgInst = { id: 'bench/ckg', crs: new Uint8Array(32).fill(1) }
  const ckg = perMember(n, (i) => ckgShare(basis, members[i]!, ckgInst))
  const committed = ckg.results.map((share, i) => ({
    member: i + 1,
    commitment: ckgCommitment(i + 1, ckgInst, share),
    polys: [share],
  }))
  const pkCombine = timed(() => ckgCombine(basis, ckgInst, committed))
  const publicKey = pkCombine.value

  const evkInst = { id: 'bench/evk', crs: new Uint8Array(32).fill(2) }
  const r1 = perMember(n, (i) => rkgRound1(basis, members[i]!, evkInst))
  const round1 = rkgAggregate(basis, r1.results)
  const r2 = perMember(n, (i) => rkgRound2(basis, members[i]!, evkInst, round1))
  const rkCombine = timed(() => rkgCombine(basis, round1, r2.results))
  const rkgBytes = bytesOf([...r1.results[0]!.h0, ...r1.results[0]!.h1, ...r2.results[0]!])

  let rtgShareMs = 0
  let rtgCombineMs = 0
  let rtgBytes = 0
  const galois = new Map<number, ReturnType<typeof rtgCombine>>()
  for (const step of steps) {
    const g = galoisElement(basis.n, step)
    const shares = perMember(n, (i) => rtgShare(basis, members[i]!, evkInst, g))
    rtgShareMs += shares.ms
    rtgBytes += bytesOf(shares.results[0]!)
    const combined = timed(() => rtgCombine(basis, evkInst, g, shares.results))
    rtgCombineMs += combined.ms
    galois.set(g, combined.value)
    console.error(`  rtg step ${step}: ${shares.ms.toFixed(0)} ms per member`)
  }
  const galoisKeys = galoisKeysBytes(basis, galois)

  // a result-level ciphertext: fresh, then switched down to the last prime as results are
  const values = Array.from({ length: ctx.profile.slotCount }, (_, i) => Math.sin(i) * 100)
  const fresh = loadInto(
    ctx,
    () => new ctx.seal.Ciphertext(),
    encryptUnder(ctx, publicKey, values),
    'ct',
    'CIPHERTEXT_INVALID',
  )
  ctx.evaluator.cipherModSwitchToInplace(fresh, ctx.lastParmsId)
  const ciphertext = fresh.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array
  fresh.delete()
  const participants = Array.from({ length: t }, (_, i) => i + 1)
  const decInst = { id: 'bench/dec', ciphertext, participants, smudgingBits: DEFAULT_SMUDGING_BITS }
  const dec = perMember(t, (i) => decryptionShare(basis, keys[i]!, decInst))
  const decCombine = timed(() => decodePlaintext(ctx, combineDecryption(basis, ciphertext, dec.results)))
  const decMaxError = maxAbsDiff(decCombine.value, values)

  const statShares = perMember(t, (i) => statShare(basis, keys[i]!, { ...decInst, id: 'bench/stat' }))
  const statCombine = timed(() => combineStat(basis, ciphertext, statShares.results))

  const buyer = new ctx.seal.KeyGenerator(ctx.context)
  const buyerSecret = buyer.secretKey()
  const buyerPublic = buyer.createPublicKey()
  const buyerPublicKey = buyerPublic.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array
  const pcksInst = { ...decInst, id: 'bench/pcks', buyerPublicKey }
  const pcks = perMember(t, (i) => pcksShare(basis, keys[i]!, pcksInst))
  const pcksCombined = timed(() =>
    decryptWith(ctx, buyerSecret, pcksCombine(basis, ciphertext, pcks.results)),
  )
  if (
    maxAbsDiff(pcksCombined.value, values) > smudgingErrorBound(basis.n, t, DEFAULT_SMUDGING_BITS, ctx.scale)
  ) {
    throw new ThresholdError('OUTSIDE_ERROR_BOUND', 'pcks', 'the PCKS release is outside its stated error')
  }
  // owner mode: the key holder decrypts the same result itself
  const ownerCiphertext = encryptUnder(ctx, buyerPublicKey, values)
  const owner = timed(() => decryptWith(ctx, buyerSecret, ownerCiphertext))
  for (const o of [buyerSecret, buyerPublic, buyer]) o.delete()

  const keygenMsPerMember = deal.ms + agg.ms + ckg.ms + r1.ms + r2.ms + rtgShareMs
  const row: Row = {
    n,
    t,
    dkgDealMs: deal.ms,
    dkgAggregateMs: agg.ms,
    dkgBytesSent,
    ckgShareMs: ckg.ms,
    ckgBytes: bytesOf([ckg.results[0]!]),
    ckgCombineMs: pkCombine.ms,
    rkgRound1Ms: r1.ms,
    rkgRound2Ms: r2.ms,
    rkgBytes,
    rkgCombineMs: rkCombine.ms,
    rtgShareMs,
    rtgBytes,
    rtgCombineMs,
    rtgSteps: steps.length,
    keygenMsPerMember,
    keygenBytesPerMember: dkgBytesSent + bytesOf([ckg.results[0]!]) + rkgBytes + rtgBytes,
    decShareMs: dec.ms,
    decShareBytes: bytesOf([dec.results[0]!]),
    decCombineMs: decCombine.ms,
    decMaxError,
    decErrorBound: smudgingErrorBound(basis.n, t, DEFAULT_SMUDGING_BITS, ctx.scale),
    statShareMs: statShares.ms,
    statShareBytes: 8 * statShares.results[0]!.length,
    statCombineMs: statCombine.ms,
    pcksShareMs: pcks.ms,
    pcksShareBytes: bytesOf([pcks.results[0]!.h0, pcks.results[0]!.h1]),
    pcksCombineMs: pcksCombined.ms,
    ownerDecryptMs: owner.ms,
    thresholdReleaseMs: dec.ms + decCombine.ms,
    pcksReleaseMs: pcks.ms + pcksCombined.ms,
  }
  rows.push(row)
  console.error(
    `  key material: relin ${rkCombine.value.length} B, galois ${galoisKeys.length} B (uncompressed)`,
  )
}

const fmt = (v: number, d = 0) =>
  v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const kib = (b: number) => `${fmt(b / 1024)} KiB`
const table: [string, (r: Row) => string][] = [
  ['n / t', (r) => `${r.n} / ${r.t}`],
  ['DKG deal ms (member)', (r) => fmt(r.dkgDealMs)],
  ['DKG aggregate ms', (r) => fmt(r.dkgAggregateMs)],
  ['DKG bytes sent (n-1 shares)', (r) => kib(r.dkgBytesSent)],
  ['CKG share ms / bytes', (r) => `${fmt(r.ckgShareMs)} / ${kib(r.ckgBytes)}`],
  ['RKG rounds 1+2 ms / bytes', (r) => `${fmt(r.rkgRound1Ms + r.rkgRound2Ms)} / ${kib(r.rkgBytes)}`],
  ['RTG all steps ms / bytes', (r) => `${fmt(r.rtgShareMs)} / ${kib(r.rtgBytes)}`],
  ['keygen total ms per member', (r) => fmt(r.keygenMsPerMember)],
  ['keygen total bytes per member', (r) => kib(r.keygenBytesPerMember)],
  [
    'combine ms: CKG / RKG / RTG',
    (r) => `${fmt(r.ckgCombineMs)} / ${fmt(r.rkgCombineMs)} / ${fmt(r.rtgCombineMs)}`,
  ],
  ['decryption share ms / bytes', (r) => `${fmt(r.decShareMs)} / ${kib(r.decShareBytes)}`],
  ['decryption combine+decode ms', (r) => fmt(r.decCombineMs, 1)],
  [
    'decryption max error / bound',
    (r) => `${r.decMaxError.toExponential(2)} / ${r.decErrorBound.toExponential(2)}`,
  ],
  ['stat share ms / bytes', (r) => `${fmt(r.statShareMs)} / ${r.statShareBytes} B`],
  ['stat combine ms', (r) => fmt(r.statCombineMs, 1)],
  ['PCKS share ms / bytes', (r) => `${fmt(r.pcksShareMs)} / ${kib(r.pcksShareBytes)}`],
  ['PCKS combine+buyer decrypt ms', (r) => fmt(r.pcksCombineMs, 1)],
  [
    'release ms: owner / threshold / PCKS',
    (r) => `${fmt(r.ownerDecryptMs, 1)} / ${fmt(r.thresholdReleaseMs)} / ${fmt(r.pcksReleaseMs)}`,
  ],
]
const labelWidth = Math.max(...table.map(([l]) => l.length))
const cells = table.map(([, f]) => rows.map(f))
const colWidth = Math.max(...cells.flat().map((c) => c.length))
for (const [i, [label]] of table.entries()) {
  console.log(`${label.padEnd(labelWidth)}  ${cells[i]!.map((c) => c.padStart(colWidth)).join('  ')}`)
}
await mkdir('bench-results', { recursive: true })
await writeFile(
  args.out,
  `${JSON.stringify(
    {
      bench: 'threshold',
      profile: 'ckks-8192',
      smudgingBits: DEFAULT_SMUDGING_BITS,
      date: new Date().toISOString(),
      rows,
    },
    null,
    2,
  )}\n`,
)
console.log(`\nwrote ${args.out}`)
