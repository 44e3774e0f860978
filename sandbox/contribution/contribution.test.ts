import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex32 } from '../../protocol/vocabulary.ts'
import type { Circuit } from '../compiler/circuit.ts'
import { compile } from '../compiler/compile.ts'
import { finish } from '../decrypt/finish.ts'
import type { HeContext } from '../he/seal.ts'
import { heContext } from '../he/seal.ts'
import { plaintextOutputs } from '../reference/plaintext.ts'
import { parseSpec } from '../spec/parse.ts'
import { testManifest } from '../testing/manifest.ts'
import { decryptWith, maxAbsDiff, type TestCommittee, testCommittee } from '../testing/threshold-committee.ts'
import {
  combineDecryption,
  DEFAULT_SMUDGING_BITS,
  decodePlaintext,
  decryptionShare,
  smudgingErrorBound,
} from '../threshold/decrypt.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { PoolAggregate } from './aggregate.ts'
import { Contributor } from './contributor.ts'
import { encodeContribution, type PoolRecord } from './encode.ts'
import { ContributionError } from './errors.ts'
import {
  capacityOf,
  contributorsOf,
  layoutIdOf,
  monomialsOf,
  type PoolLayout,
  poolLayout,
  poolSlot,
  poolStats,
} from './layout.ts'
import { contributionBytes, ENVELOPE_BYTES } from './wire.ts'

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
    trips: { op: 'histogram2d', of: ['cell', 'hour'] },
    speed: { op: 'group_mean', of: 'speed', by: 'cell', significantDigits: 10 },
  },
})
const keyId = `0x${'4b'.repeat(32)}` as Hex32

/** The pool's ops compiled on its schema: their stats are the layout's monomials. */
function poolCircuit(records: number): Circuit {
  const manifest = testManifest(schema, records, {
    allowedOps: ['histogram2d', 'group_mean'],
    minAggregation: 1,
    price: '0',
  })
  return compile(spec, manifest)
}

function vehicleTrips(vehicle: number): PoolRecord[] {
  const trips = 1 + (vehicle % 4)
  return Array.from({ length: trips }, (_, t) => ({
    cell: `c${(vehicle * 7 + t) % 4}`,
    hour: (vehicle * 5 + t * 3) % 24,
    speed: (vehicle + t) % 9 === 0 ? null : 20 + ((vehicle * 13 + t * 29) % 100),
  }))
}

function codeOf(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(ContributionError)
    return `${(e as ContributionError).code} ${(e as ContributionError).field}`
  }
  throw new Error('expected a ContributionError')
}

describe('pool contributions', () => {
  let ctx: HeContext
  let committee: TestCommittee
  let layout: PoolLayout
  let contributor: Contributor

  beforeAll(async () => {
    ctx = await heContext('ckks-8192')
    committee = testCommittee(ctx, 4, 'pool')
    layout = poolLayout({
      profile: 'ckks-8192',
      schema,
      monomials: monomialsOf(poolCircuit(1000)),
      maxRecords: 8,
    })
    contributor = new Contributor(ctx, layout, { id: keyId, publicKey: committee.publicKey })
  })
  afterAll(() => contributor?.delete())

  it("encodes a contributor's own monomials so that summing contributions gives the pool's ops, checked against plaintext", () => {
    const vehicles = 60
    const aggregate = new PoolAggregate(ctx, layout, keyId)
    const rows: Record<string, string>[] = []
    for (let v = 0; v < vehicles; v++) {
      const trips = vehicleTrips(v)
      aggregate.add(contributor.encrypt(trips))
      for (const t of trips)
        rows.push({
          cell: String(t.cell),
          hour: String(t.hour),
          speed: t.speed === null ? '' : String(t.speed),
        })
    }
    expect(aggregate.count).toBe(vehicles)
    // The committee opens the aggregate by threshold decryption (3 of 4 members, smudged shares) ...
    const sum = aggregate.toBytes()
    aggregate.delete()
    const inst = {
      id: 'pool/open',
      ciphertext: sum,
      participants: [1, 2, 4],
      smudgingBits: DEFAULT_SMUDGING_BITS,
    }
    const shares = inst.participants.map((i) =>
      decryptionShare(committee.basis, committee.keys[i - 1]!, inst),
    )
    const slots = decodePlaintext(ctx, combineDecryption(committee.basis, sum, shares))
    // ... which agrees with the collective key's own decryption within the smudging bound.
    const sk = committee.collectiveSecretKey()
    const exact = decryptWith(ctx, sk, sum)
    sk.delete()
    const bound = smudgingErrorBound(8192, 3, DEFAULT_SMUDGING_BITS, 2 ** layout.scaleBits)
    expect(maxAbsDiff(slots, exact)).toBeLessThan(bound)
    const circuit = poolCircuit(rows.length)
    const finished = finish(circuit, poolStats(layout, circuit, slots), 1)
    const truth = plaintextOutputs(rows, schema, spec)
    const heat = finished.outputs.trips!
    if ('withheld' in heat || heat.op !== 'histogram2d') throw new Error('heatmap withheld')
    expect(heat.cells).toEqual((truth.trips as { cells: number[][] }).cells)
    const speed = finished.outputs.speed!
    if ('withheld' in speed || speed.op !== 'group_mean') throw new Error('group means withheld')
    const expected = (truth.speed as { groups: Record<string, { mean: number; count: number }> }).groups
    for (const [g, v] of Object.entries(speed.groups)) {
      expect(v!.count).toBe(expected[g]!.count)
      // sum = center·count + halfWidth·Σ s: each slot off by at most the bound, over the group's count
      expect(Math.abs(v!.mean - expected[g]!.mean)).toBeLessThan((bound * (65 + 65)) / v!.count)
    }
    // the slots no monomial uses stay zero: nothing but the layout's totals is in the aggregate
    expect(Math.max(...Array.from(exact.subarray(layout.monomials.length), Math.abs))).toBeLessThan(1e-3)
  })

  it('is one ciphertext of one prime, under 150 KB', () => {
    const bytes = contributor.encrypt(vehicleTrips(3))
    expect(bytes.length).toBe(contributionBytes(ctx))
    expect(bytes.length).toBeLessThan(150_000)
  })

  it('refuses records that do not fit the pool schema, naming the record and column', () => {
    expect(
      codeOf(() =>
        encodeContribution(layout, [
          { cell: 'c1', hour: 3, speed: 40 },
          { cell: 'c9', hour: 3, speed: 1 },
        ]),
      ),
    ).toBe('RECORD_INVALID records.1.cell')
    expect(codeOf(() => encodeContribution(layout, [{ cell: 'c1', hour: 3, speed: 400 }]))).toBe(
      'RECORD_INVALID records.0.speed',
    )
    expect(codeOf(() => encodeContribution(layout, [{ cell: 'c1', hour: 3, speed: 4, plate: 'XY' }]))).toBe(
      'RECORD_INVALID records.0.plate',
    )
    expect(codeOf(() => encodeContribution(layout, [{ cell: null, hour: 3, speed: 4 }]))).toBe(
      'RECORD_INVALID records.0.cell',
    )
    expect(codeOf(() => encodeContribution(layout, []))).toBe('RECORD_INVALID records')
    const many = Array.from({ length: 9 }, () => ({ cell: 'c1', hour: 3, speed: 4 }))
    expect(codeOf(() => encodeContribution(layout, many))).toBe('TOO_MANY_RECORDS records')
  })

  it('refuses bad layouts', () => {
    const base = { profile: 'ckks-8192' as const, schema, maxRecords: 4 }
    expect(codeOf(() => poolLayout({ ...base, monomials: ['cell=c1*plate'] }))).toBe(
      'LAYOUT_INVALID monomials.0',
    )
    expect(codeOf(() => poolLayout({ ...base, monomials: ['cell=c1', 'cell=c1'] }))).toBe(
      'LAYOUT_INVALID monomials.1',
    )
    expect(codeOf(() => poolLayout({ ...base, monomials: [] }))).toBe('LAYOUT_INVALID monomials')
    expect(codeOf(() => poolLayout({ ...base, monomials: ['speed'], maxRecords: 0 }))).toBe(
      'LAYOUT_INVALID maxRecords',
    )
    expect(codeOf(() => poolLayout({ ...base, monomials: ['speed'], scaleBits: 41 }))).toBe(
      'LAYOUT_INVALID scaleBits',
    )
    // a lower scale buys record-slots: 2^18 at 2^40, 2^28 at 2^30
    expect(capacityOf(poolLayout({ ...base, monomials: ['speed'], maxRecords: 1, scaleBits: 30 }))).toBe(
      2 ** 28,
    )
  })

  it('refuses each kind of bad contribution and leaves the aggregate as it was', () => {
    const aggregate = new PoolAggregate(ctx, layout, keyId)
    expect(codeOf(() => aggregate.toBytes())).toBe('AGGREGATE_EMPTY aggregate')
    const good = contributor.encrypt(vehicleTrips(1))
    aggregate.add(good)
    const before = aggregate.toBytes()
    const edit = (f: (b: Uint8Array, view: DataView) => void) => {
      const b = good.slice()
      f(b, new DataView(b.buffer))
      return b
    }
    const seal = ENVELOPE_BYTES
    const otherLayout = poolLayout({ profile: 'ckks-8192', schema, monomials: ['speed'], maxRecords: 8 })
    const stranger = new Contributor(ctx, otherLayout, { id: keyId, publicKey: committee.publicKey })
    const otherKey = new Contributor(ctx, layout, {
      id: `0x${'99'.repeat(32)}`,
      publicKey: committee.publicKey,
    })
    const cases: Array<[string, Uint8Array]> = [
      ['SIZE_INVALID bytes', good.subarray(0, good.length - 1)],
      ['SIZE_INVALID bytes', new Uint8Array(good.length + 8)],
      ['SIZE_INVALID bytes', committee.encrypt([1, 2, 3])],
      ['MALFORMED magic', edit((b) => b.fill(0, 0, 4))],
      [
        'MALFORMED version',
        edit((b) => {
          b[4] = 2
        }),
      ],
      ['WRONG_LAYOUT layoutId', stranger.encrypt([{ cell: 'c1', hour: 2, speed: 10 }])],
      ['WRONG_KEY keyId', otherKey.encrypt([{ cell: 'c1', hour: 2, speed: 10 }])],
      [
        'MALFORMED ciphertext',
        edit((b) => {
          b[seal + 5] = 2
        }),
      ],
      [
        'WRONG_PARAMS ciphertext.parmsId',
        edit((b) => {
          b[seal + 16]! ^= 1
        }),
      ],
      // a residue at the top of 64 bits: not below the prime
      ['MALFORMED ciphertext', edit((b) => b.fill(0xff, b.length - 8))],
      [
        'WRONG_PARAMS ciphertext',
        edit((_, v) => v.setFloat64(seal + 16 + 32 + 1 + 8 + 8 + 8, 2 ** 30, true)),
      ],
      // c1 all zero: a transparent ciphertext that would publish its plaintext
      ['WRONG_PARAMS ciphertext', edit((b) => b.fill(0, b.length - 8192 * 8))],
    ]
    for (const [expected, bytes] of cases)
      expect(
        codeOf(() => aggregate.add(bytes)),
        expected,
      ).toBe(expected)
    stranger.delete()
    otherKey.delete()
    expect(aggregate.count).toBe(1)
    expect(aggregate.toBytes()).toEqual(before)
    aggregate.delete()
  })

  it('refuses a contribution past what the aggregate can decrypt', () => {
    const big = poolLayout({ profile: 'ckks-8192', schema, monomials: ['speed'], maxRecords: 2 ** 17 })
    expect(capacityOf(big)).toBe(2)
    const c = new Contributor(ctx, big, { id: keyId, publicKey: committee.publicKey })
    const aggregate = new PoolAggregate(ctx, big, keyId)
    const bytes = c.encrypt([{ cell: 'c1', hour: 2, speed: 10 }])
    aggregate.add(bytes)
    aggregate.add(bytes)
    expect(codeOf(() => aggregate.add(bytes))).toBe('POOL_FULL aggregate')
    expect(aggregate.count).toBe(2)
    c.delete()
    aggregate.delete()
  })

  it('counts contributors, not records, in a contributors: slot', () => {
    const cell = 'cell=c1*hour=[0,6)'
    const counted = poolLayout({
      profile: 'ckks-8192',
      schema,
      monomials: [cell, contributorsOf(cell)],
      maxRecords: 4,
    })
    const c = new Contributor(ctx, counted, { id: keyId, publicKey: committee.publicKey })
    const aggregate = new PoolAggregate(ctx, counted, keyId)
    const trip = (cellName: string, hour: number) => ({ cell: cellName, hour, speed: 50 })
    // one contributor with three trips in the cell, one with one trip there, one with none
    aggregate.add(c.encrypt([trip('c1', 2), trip('c1', 3), trip('c1', 5)]))
    aggregate.add(c.encrypt([trip('c1', 4), trip('c2', 4)]))
    aggregate.add(c.encrypt([trip('c3', 1), trip('c1', 7)]))
    const sk = committee.collectiveSecretKey()
    const slots = decryptWith(ctx, sk, aggregate.toBytes())
    sk.delete()
    aggregate.delete()
    c.delete()
    expect(Math.round(poolSlot(counted, cell, slots))).toBe(4)
    expect(Math.round(poolSlot(counted, contributorsOf(cell), slots))).toBe(2)
    expect(
      codeOf(() =>
        poolLayout({ profile: 'ckks-8192', schema, monomials: ['contributors:speed'], maxRecords: 1 }),
      ),
    ).toBe('LAYOUT_INVALID monomials.0')
  })

  it('refuses a job stat the layout has no slot for', () => {
    const circuit = compile(
      parseSpec({ version: 1, outputs: { m: { op: 'mean', of: 'speed' } } }),
      testManifest(schema, 100, { allowedOps: ['mean'], minAggregation: 1, price: '0' }),
    )
    const narrow = poolLayout({ profile: 'ckks-8192', schema, monomials: ['speed#present'], maxRecords: 1 })
    expect(codeOf(() => poolStats(narrow, circuit, new Float64Array(4096)))).toBe(
      'MONOMIAL_MISSING stats.speed',
    )
    expect(layoutIdOf(narrow)).not.toBe(layoutIdOf(layout))
  })
})
