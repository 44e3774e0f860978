import { beforeAll, describe, expect, it } from 'vitest'
import type { Hex32 } from '../../protocol/vocabulary.ts'
import type { Circuit } from '../../sandbox/compiler/circuit.ts'
import { compile } from '../../sandbox/compiler/compile.ts'
import { PoolAggregate } from '../../sandbox/contribution/aggregate.ts'
import { Contributor } from '../../sandbox/contribution/contributor.ts'
import type { PoolRecord } from '../../sandbox/contribution/encode.ts'
import {
  contributorsOf,
  monomialsOf,
  type PoolLayout,
  poolLayout,
  poolSlot,
  poolStats,
} from '../../sandbox/contribution/layout.ts'
import type { OutputValue, Withheld } from '../../sandbox/decrypt/finish.ts'
import { type PrivacyPlan, planPrivacy } from '../../sandbox/dp/plan.ts'
import { releaseOutputs } from '../../sandbox/dp/release.ts'
import type { HeContext } from '../../sandbox/he/seal.ts'
import { heContext } from '../../sandbox/he/seal.ts'
import { parseSpec } from '../../sandbox/spec/parse.ts'
import { testManifest } from '../../sandbox/testing/manifest.ts'
import { SeededRandom } from '../../sandbox/testing/seeded-random.ts'
import { type TestCommittee, testCommittee } from '../../sandbox/testing/threshold-committee.ts'
import {
  combineDecryption,
  DEFAULT_SMUDGING_BITS,
  decodePlaintext,
  decryptionShare,
} from '../../sandbox/threshold/decrypt.ts'
import type { Policy } from '../../sandbox/vault/policy.ts'
import type { VaultSchema } from '../../sandbox/vault/schema.ts'

/**
 * A buyer of a pool's heatmap against one contributor, the vehicle X. The
 * pool is real: each vehicle's trips encrypted by a `Contributor` under a
 * 4-member test committee's key, summed by a `PoolAggregate`, opened by
 * threshold decryption (3 of 4). X sends K = 3 contributions of 8 trips,
 * all in cell c3 between 18h and 24h, where no other vehicle drives.
 */
const schema: VaultSchema = {
  columns: [
    { name: 'cell', type: 'categorical', categories: ['c0', 'c1', 'c2', 'c3'], nullable: false },
    { name: 'hour', type: 'bucketed', edges: [0, 6, 12, 18, 24], nullable: false },
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
const MAX_RECORDS = 8
const K = 3
const BACKGROUND = 40
const keyId = `0x${'5e'.repeat(32)}` as Hex32
/** X's cell: c3 (row 3), hours [18,24) (column 3) */
const ROW = 3
const COL = 3

const background = (v: number): PoolRecord[] =>
  Array.from({ length: 1 + (v % 4) }, (_, t) => ({
    cell: `c${(v + t) % 3}`,
    hour: (v * 5 + t * 7) % 24,
    speed: 20 + ((v * 13 + t * 29) % 100),
  }))
const targetDay: PoolRecord[] = Array.from({ length: MAX_RECORDS }, (_, t) => ({
  cell: 'c3',
  hour: 18 + (t % 6),
  speed: 30,
}))

type Released = OutputValue | Withheld

function heatCell(out: Released | undefined): number | null {
  if (!out || 'withheld' in out || out.op !== 'histogram2d') return null
  return out.cells[ROW]![COL]!
}

/**
 * The release's exact privacy loss between two snapshots: each stat is released as
 * grid·(round(x/grid) + Z), Z discrete Laplace of scale b steps, so the log-likelihood
 * ratio of any output is at most Σ |round(x/grid) − round(x'/grid)| / b, and that is reached.
 */
function privacyLoss(plan: PrivacyPlan, a: readonly number[], b: readonly number[]): number {
  return plan.stats.reduce(
    (loss, s, i) =>
      s.epsilon === 0
        ? loss
        : loss + Math.abs(Math.round(a[i]! / s.grid) - Math.round(b[i]! / s.grid)) / s.scale,
    0,
  )
}

describe('attacks on a pool: one contributor against the per-record calibration', () => {
  let ctx: HeContext
  let committee: TestCommittee
  let layout: PoolLayout
  let withX: Float64Array
  let withoutX: Float64Array
  const policy: Policy = {
    allowedOps: ['histogram2d', 'group_mean'],
    minAggregation: 5,
    price: '0',
    privacy: { epsilon: 10, maxEpsilonPerJob: 1, unit: 'record' },
  }
  const records = { with: 0, without: 0 }

  /** The pool's aggregate opened by 3 of the committee's 4 members. */
  function open(aggregate: PoolAggregate, id: string): Float64Array {
    const sum = aggregate.toBytes()
    const inst = { id, ciphertext: sum, participants: [1, 2, 3], smudgingBits: DEFAULT_SMUDGING_BITS }
    const shares = inst.participants.map((i) =>
      decryptionShare(committee.basis, committee.keys[i - 1]!, inst),
    )
    return decodePlaintext(ctx, combineDecryption(committee.basis, sum, shares))
  }

  const circuitFor = (recordCount: number): Circuit =>
    compile(spec, testManifest(schema, recordCount, policy))

  beforeAll(async () => {
    ctx = await heContext('ckks-8192')
    committee = testCommittee(ctx, 4, 'pool-attacks')
    const circuit = circuitFor(1000)
    // The heatmap cells' contributor slots, to show how many contributors a released cell describes.
    const cellKeys = Object.entries(circuit.outputs[0]!.sums)
      .filter(([label]) => label.startsWith('cell:'))
      .map(([, form]) => circuit.stats[form[0]![0]]!.key)
    layout = poolLayout({
      profile: 'ckks-8192',
      schema,
      monomials: [...monomialsOf(circuit), ...cellKeys.map(contributorsOf)],
      maxRecords: MAX_RECORDS,
    })
    const contributor = new Contributor(ctx, layout, { id: keyId, publicKey: committee.publicKey })
    const a = new PoolAggregate(ctx, layout, keyId)
    const b = new PoolAggregate(ctx, layout, keyId)
    for (let v = 0; v < BACKGROUND; v++) {
      const day = background(v)
      const bytes = contributor.encrypt(day)
      a.add(bytes)
      b.add(bytes)
      records.with += day.length
      records.without += day.length
    }
    for (let k = 0; k < K; k++) {
      a.add(contributor.encrypt(targetDay))
      records.with += targetDay.length
    }
    withX = open(a, 'with-x')
    withoutX = open(b, 'without-x')
    for (const o of [a, b, contributor]) o.delete()
  }, 120_000)

  it('(a) a differencing buyer tells whether X contributed, far beyond the epsilon the job was charged', () => {
    const circuit = circuitFor(records.with)
    const manifest = testManifest(schema, records.with, policy)
    const plan = planPrivacy(spec, circuit, manifest)
    const stats = poolStats(layout, circuit, withX)
    const statsWithout = poolStats(layout, circuit, withoutX)
    const loss = privacyLoss(plan, stats, statsWithout)
    // The buyer's test: "the heatmap shows cell (c3, 18-24h) at 12 trips or more".
    const draws = 200
    let hitsWith = 0
    let hitsWithout = 0
    for (let d = 0; d < draws; d++) {
      for (const [snapshot, count] of [
        [stats, () => hitsWith++],
        [statsWithout, () => hitsWithout++],
      ] as const) {
        const released = releaseOutputs({
          manifest,
          circuit,
          plan,
          expect: {},
          stats: [...snapshot],
          random: new SeededRandom(`draw/${d}/${snapshot === stats}`),
        })
        const cell = heatCell(released.finished.outputs.trips)
        if (cell !== null && cell >= 12) count()
      }
    }
    // rule of three: with no hit in n draws, the probability is below 3/n at 95% confidence
    const pWith = hitsWith / draws
    const pWithout = Math.max(hitsWithout, 3) / draws
    const observed = Math.log(pWith / pWithout)
    console.log(
      `(a) charged epsilon ${plan.epsilon}; exact privacy loss of X's ${K}×${MAX_RECORDS} trips: ${loss.toFixed(2)}; ` +
        `the buyer's test fires in ${hitsWith}/${draws} releases with X, ${hitsWithout}/${draws} without: ` +
        `ln ratio >= ${observed.toFixed(2)}`,
    )
    // Differential privacy promises both at most the epsilon charged.
    expect(loss).toBeLessThanOrEqual(plan.epsilon * (1 + 1e-9))
    expect(observed).toBeLessThanOrEqual(plan.epsilon)
  })

  it('(b) a heatmap cell that only X drove through is released', () => {
    const circuit = circuitFor(records.with)
    const manifest = testManifest(schema, records.with, policy)
    const plan = planPrivacy(spec, circuit, manifest)
    const cellKey = circuit.stats[circuit.outputs[0]!.sums[`cell:${ROW},${COL}`]![0]![0]]!.key
    // The contributor slot of the cell opens to K: X's K contributions, one contributor.
    const contributions = Math.round(poolSlot(layout, contributorsOf(cellKey), withX))
    let released = 0
    const draws = 50
    const values: number[] = []
    for (let d = 0; d < draws; d++) {
      const out = releaseOutputs({
        manifest,
        circuit,
        plan,
        expect: {},
        stats: poolStats(layout, circuit, withX),
        random: new SeededRandom(`lone/${d}`),
      })
      const cell = heatCell(out.finished.outputs.trips)
      if (cell !== null) {
        released++
        values.push(cell)
      }
    }
    console.log(
      `(b) cell (c3, 18-24h): ${contributions} contributions, all from X (at most ${Math.ceil(contributions / K)} contributor); ` +
        `released in ${released}/${draws} releases, values ${Math.min(...values)}..${Math.max(...values)} (truth ${K * MAX_RECORDS})`,
    )
    expect(contributions).toBe(K)
    // Never release a number that fewer than the pool's minimum of contributors describe.
    expect(released).toBe(0)
  })
})
