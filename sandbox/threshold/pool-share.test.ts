import { beforeAll, describe, expect, it } from 'vitest'
import type { Circuit } from '../compiler/circuit.ts'
import { compile } from '../compiler/compile.ts'
import { PoolAggregate } from '../contribution/aggregate.ts'
import { Contributor } from '../contribution/contributor.ts'
import { monomialsOf, type PoolLayout, poolLayout } from '../contribution/layout.ts'
import type { StatNoise } from '../dp/plan.ts'
import { type PoolPrivacyPlan, planPoolRelease, poolRecordBound } from '../dp/pool-plan.ts'
import { committeePoolPlan, poolSlotNoise } from '../dp/pool-slot-noise.ts'
import { SandboxError } from '../errors.ts'
import { type HeContext, heContext } from '../he/seal.ts'
import { testManifest } from '../testing/manifest.ts'
import { TRAFFIC_TEST_SCHEMA, TRAFFIC_TEST_SPEC } from '../testing/pool.ts'
import { decryptWith, type TestCommittee, testCommittee } from '../testing/threshold-committee.ts'
import type { Policy } from '../vault/policy.ts'
import { combineDecryption, DEFAULT_SMUDGING_BITS, decodePlaintext, smudgingErrorBound } from './decrypt.ts'
import { ThresholdError } from './errors.ts'
import { encodePoly } from './poly-codec.ts'
import { combinePoolShares, openPoolRelease } from './pool-open.ts'
import { type PoolOpening, poolOutputShare, readPoolOutputShare } from './pool-share.ts'

const schema = TRAFFIC_TEST_SCHEMA
const spec = TRAFFIC_TEST_SPEC
const policy: Policy = {
  allowedOps: ['histogram2d', 'group_mean'],
  minAggregation: 1,
  price: '0',
  privacy: { epsilon: 100, maxEpsilonPerJob: 4, unit: 'contributor' },
}
const CONTRIBUTORS = 60
const S = [1, 3, 4]
const keyId = `0x${'7a'.repeat(32)}` as const

let ctx: HeContext
let tc: TestCommittee
let layout: PoolLayout
let circuit: Circuit
let plan: PoolPrivacyPlan
let aggregate: Uint8Array
let exact: Float64Array
const counts = new Map<string, number>()

function opening(over: Partial<PoolOpening> = {}): PoolOpening {
  return {
    aggregate,
    participants: S,
    label: 'job-1/result-1',
    slotNoise: poolSlotNoise(plan, layout, circuit),
    recordBound: circuit.recordCount,
    ...over,
  }
}
const sharesFor = (o: PoolOpening = opening()) =>
  o.participants.map((i) => poolOutputShare(ctx, tc.keys[i - 1]!, o))

function code(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    if (e instanceof ThresholdError) return `${e.code} ${e.field}`
    if (e instanceof SandboxError) return e.code
    throw e
  }
  throw new Error('expected a refusal')
}

beforeAll(async () => {
  ctx = await heContext('ckks-8192')
  tc = testCommittee(ctx, 4, 'pool-share')
  layout = poolLayout({
    profile: 'ckks-8192',
    schema,
    monomials: monomialsOf(compile(spec, testManifest(schema, 1000, policy))),
    maxRecords: 2,
  })
  const contributor = new Contributor(ctx, layout, { id: keyId, publicKey: tc.publicKey })
  const sum = new PoolAggregate(ctx, layout, keyId)
  for (let v = 0; v < CONTRIBUTORS; v++) {
    sum.add(
      contributor.encrypt([
        { cell: ['c0', 'c1', 'c2'][v % 3]!, hour: (v * 7) % 24, speed: 10 + ((v * 17) % 90) },
        { cell: 'c0', hour: 3, speed: v % 5 === 0 ? null : 50 },
      ]),
    )
    counts.set(`c${v}`, 1)
  }
  aggregate = sum.toBytes()
  sum.delete()
  contributor.delete()
  const sk = tc.collectiveSecretKey()
  exact = decryptWith(ctx, sk, aggregate)
  sk.delete()
  circuit = compile(spec, testManifest(schema, poolRecordBound(layout, counts), policy))
  plan = planPoolRelease({ spec, circuit, layout, policy, minContributors: 5, counts })
}, 120_000)

describe('the slot release of a pool aggregate, n = 4, t = 3', () => {
  it('t shares open every slot of the layout within 10 deviations of single-key decryption, each slot carrying its t noises', () => {
    const noise = poolSlotNoise(plan, layout, circuit)
    const smudging = smudgingErrorBound(tc.basis.n, 3, DEFAULT_SMUDGING_BITS, ctx.scale) / 7.5
    const wide = committeePoolPlan(plan, 3, smudging, 7.5 * smudging)
    // Each opening's label draws fresh noise. Ten openings give 220 draws of (opened − exact) / sd,
    // each the sum of three unit-variance Laplace noises: the rms is √3 ≈ 1.73, and in 10⁶ simulated
    // runs it stayed within 1.30–2.29. One member's noise alone gives ~1.0, six give ~2.45, so the
    // bounds below catch a lost or a doubled noise and fail a correct tree less than once in 10⁶.
    // (22 draws, as this test once took, put 0.5% of correct runs below 1 and 0.03% above 3.)
    // A draw beyond 10 deviations has odds of ~2·10⁻⁹ (a Laplace sum's tail), 220 of them ~5·10⁻⁷.
    const OPENINGS = 10
    let squares = 0
    let draws = 0
    let ms = 0
    let bytes = 0
    for (let k = 0; k < OPENINGS; k++) {
      const o = opening({ label: `job-${k}/result-1` })
      const started = performance.now()
      const shares = sharesFor(o)
      ms += (performance.now() - started) / shares.length / OPENINGS
      bytes = shares[0]!.length
      const slots = combinePoolShares({ ctx, aggregate, participants: S, shares, plan, layout, circuit })
      noise.forEach((n, j) => {
        const sd = Math.sqrt(3 * n.std ** 2 + smudging ** 2)
        const off = slots[j]! - exact[j]!
        expect(Math.abs(off), `opening ${k}, slot ${j} ${layout.monomials[j]}`).toBeLessThan(10 * sd)
        squares += (off / n.std) ** 2
        draws++
      })
    }
    const rms = Math.sqrt(squares / draws)
    console.log(
      `${noise.length} slots × ${OPENINGS} openings; a member's share ${bytes} bytes in ${ms.toFixed(0)} ms; ` +
        `rms of (opened − exact) / one member's sd: ${rms.toFixed(2)} (√3 = 1.73)`,
    )
    expect(rms).toBeGreaterThan(1.2)
    expect(rms).toBeLessThan(2.45)
    // the buyer's plan counts them: every stated deviation is at least √3 of the plan's
    wide.stats.forEach((s, i) => {
      if (plan.stats[i]!.epsilon > 0) expect(s.std).toBeGreaterThanOrEqual(Math.sqrt(3) * plan.stats[i]!.std)
    })
    wide.gates.forEach((g, i) => {
      expect(g.threshold).toBeGreaterThan(plan.gates[i]!.threshold)
    })
  })

  it('t − 1 shares open nothing: the slots are noise the size of the prime', () => {
    const shares = sharesFor().slice(0, 2)
    const polys = shares.map((b) => readPoolOutputShare(tc.basis, b))
    const slots = decodePlaintext(ctx, combineDecryption(tc.basis, aggregate, polys))
    const worst = layout.monomials.reduce((w, _, j) => Math.max(w, Math.abs(slots[j]! - exact[j]!)), 0)
    expect(worst).toBeGreaterThan(1e6)
    expect(
      code(() => combinePoolShares({ ctx, aggregate, participants: S, shares, plan, layout, circuit })),
    ).toBe('PARTICIPANTS_INVALID shares')
  })

  it('a share recomputed (after a restart) is byte-identical; another opening, set or aggregate draws other noise', () => {
    const key = tc.keys[0]!
    const first = poolOutputShare(ctx, key, opening())
    expect(Buffer.from(poolOutputShare(ctx, key, opening())).equals(Buffer.from(first))).toBe(true)
    const other = poolOutputShare(ctx, key, opening({ label: 'job-2/result-2' }))
    const otherSet = poolOutputShare(ctx, key, opening({ participants: [1, 2, 3] }))
    for (const o of [other, otherSet]) expect(Buffer.from(o).equals(Buffer.from(first))).toBe(false)
  })

  it('the buyer releases through the gates with errors that count the t noises', () => {
    const released = openPoolRelease({
      ctx,
      aggregate,
      participants: S,
      shares: sharesFor(),
      manifest: testManifest(schema, circuit.recordCount, policy),
      circuit,
      plan,
      layout,
      expect: {},
    })
    const heat = released.finished.outputs.trips!
    if ('withheld' in heat || heat.op !== 'histogram2d') throw new Error(JSON.stringify(heat))
    const stated = heat.error95?.cell ?? 0
    const single = plan.outputs.find((o) => o.name === 'trips')!.error95.cell!
    expect(stated).toBeGreaterThanOrEqual(single * Math.sqrt(3) * 0.99)
    console.log(
      `heatmap cells ${JSON.stringify(heat.cells)}, stated ±${stated} (one member's plan: ±${single.toFixed(1)})`,
    )
  })

  it('refuses bad shares and openings with typed errors', () => {
    const good = sharesFor()[0]!
    const poly = readPoolOutputShare(tc.basis, good)
    expect(code(() => readPoolOutputShare(tc.basis, good.subarray(0, good.length - 8)))).toBe(
      'SHARE_INVALID pool share',
    )
    const notBelow = good.slice()
    new DataView(notBelow.buffer).setBigUint64(10 + 8 * 5, tc.basis.primes[0]!, true)
    expect(code(() => readPoolOutputShare(tc.basis, notBelow, 'shares[0]'))).toBe(
      'SHARE_INVALID shares[0].limbs[0][5]',
    )
    const twoPrimes = encodePoly({ limbs: [poly.limbs[0]!, poly.limbs[0]!] })
    expect(code(() => readPoolOutputShare(tc.basis, twoPrimes))).toBe('SHARE_INVALID pool share')
    const bad = [...sharesFor().slice(0, 2), notBelow]
    expect(
      code(() => combinePoolShares({ ctx, aggregate, participants: S, shares: bad, plan, layout, circuit })),
    ).toBe('SHARE_INVALID shares[2].limbs[0][5]')
    // a ciphertext above the lowest level is not an aggregate
    expect(code(() => poolOutputShare(ctx, tc.keys[0]!, opening({ aggregate: tc.encrypt([1, 2, 3]) })))).toBe(
      'SEAL_BYTES_INVALID aggregate',
    )
    expect(code(() => poolOutputShare(ctx, tc.keys[0]!, opening({ participants: [1, 3] })))).toBe(
      'PARTICIPANTS_INVALID participants',
    )
    // noise that could carry a slot past half the prime: refused before anything is drawn
    const wide: StatNoise[] = opening().slotNoise.map((n) => ({ ...n, scale: n.scale * 2 ** 16 }))
    expect(code(() => poolOutputShare(ctx, tc.keys[0]!, opening({ slotNoise: wide })))).toBe('NOISE_TOO_WIDE')
    expect(code(() => poolOutputShare(ctx, tc.keys[0]!, opening({ recordBound: 2 ** 18 })))).toBe(
      'NOISE_TOO_WIDE',
    )
  })
})
