import type { Plaintext, SecretKey } from 'node-seal'
import { describe, expect, it } from 'vitest'
import type { Circuit, PackPlan } from '../compiler/circuit.ts'
import { compile } from '../compiler/compile.ts'
import { integerMaskValue } from '../compiler/integer-masks.ts'
import { decryptStats } from '../decrypt/decrypt.ts'
import { loadSecretKey } from '../he/keys.ts'
import type { HeContext } from '../he/seal.ts'
import { canonicalBytes, loadInto } from '../he/serialize.ts'
import { parseSpec } from '../spec/parse.ts'
import { TEST_PASSPHRASE } from '../testing/fixtures.ts'
import { REGRESSION_KEYS, REGRESSION_SPEC, regressionEvaluation } from '../testing/regression.ts'
import { rnsBasis, toCoeffs } from '../threshold/rns.ts'
import { readPlaintext } from '../threshold/seal-format.ts'
import { centredCrt } from '../threshold/stat-decrypt.ts'
import { evaluateCircuit } from './evaluate.ts'

const bundleOf = (stats: Uint8Array[]) => ({
  circuitId: '0x00' as const,
  execEnvHash: '0x00' as const,
  stats,
  resultHash: '0x00' as const,
})

/**
 * How far the decrypted slots are from what the pack may hold: with 0/1 masks the total of the
 * slot's class (0 for unused classes), with integer masks Σ_k M_k(slot)·S_k. A partial sum of some
 * records differs from either by whole record values.
 */
function worstSlot(pack: PackPlan, slots: Float64Array, values: readonly number[]): number {
  let worst = 0
  for (const [i, slot] of slots.entries()) {
    let want = 0
    if (pack.masks === 'integer')
      pack.stats.forEach((stat, k) => {
        want += integerMaskValue(pack.classes, k, i) * values[stat]!
      })
    else {
      const stat = pack.stats[i % pack.classes]
      want = stat === undefined ? 0 : values[stat]!
    }
    worst = Math.max(worst, Math.abs(slot - want))
  }
  return worst
}

/** Decrypts one result ciphertext and reads its plaintext. */
function decrypted<T>(
  ctx: HeContext,
  secretKey: SecretKey,
  bytes: Uint8Array,
  read: (plain: Plaintext) => T,
): T {
  const decryptor = new ctx.seal.Decryptor(ctx.context, secretKey)
  const plain = new ctx.seal.Plaintext()
  const ct = loadInto(ctx, () => new ctx.seal.Ciphertext(), bytes, 'result', 'CIPHERTEXT_INVALID')
  try {
    decryptor.decrypt(ct, plain)
    return read(plain)
  } finally {
    ct.delete()
    plain.delete()
    decryptor.delete()
  }
}

function decryptSlots(ctx: HeContext, secretKey: SecretKey, bytes: Uint8Array): Float64Array {
  return decrypted(ctx, secretKey, bytes, (plain) => ctx.encoder.decodeFloat64(plain) as Float64Array)
}

type Evaluation = Pick<Awaited<ReturnType<typeof regressionEvaluation>>, 'ctx' | 'keys' | 'input'>

/**
 * Both layouts evaluated and decrypted: the same stats, and in every slot of a pack its class's
 * total or 0, never a partial sum of some records (those differ from the total by whole record
 * values). A lone stat is opened at its constant coefficient alone (the last test).
 */
function expectPackedLikeAlone(ev: Evaluation, secretKey: SecretKey, packed: Circuit, alone: Circuit): void {
  const { ctx, keys, input } = ev
  const packedCts = evaluateCircuit(ctx, keys, { ...input, circuit: packed })
  expect(packedCts).toHaveLength(packed.packs.length)
  const values = decryptStats(ctx, secretKey, bundleOf(packedCts), packed)
  const aloneCts = evaluateCircuit(ctx, keys, { ...input, circuit: alone })
  expectSameStats(values, decryptStats(ctx, secretKey, bundleOf(aloneCts), alone))
  for (const [k, pack] of packed.packs.entries())
    if (pack.classes > 1)
      expect(worstSlot(pack, decryptSlots(ctx, secretKey, packedCts[k]!), values)).toBeLessThan(1e-3)
}

/** Each stat within 1e-6 (relative) of the reference layout's. */
function expectSameStats(values: readonly number[], reference: readonly number[]): void {
  for (const [i, v] of reference.entries())
    expect(Math.abs(values[i]! - v), `stat ${i}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(v)))
}

/** The regression vault's evaluation and its owner's secret key for one test, freed after it. */
function withRegressionKeys(
  test: (r: Awaited<ReturnType<typeof regressionEvaluation>> & { secretKey: SecretKey }) => Promise<void>,
): () => Promise<void> {
  return async () => {
    const r = await regressionEvaluation()
    const secretKey = await loadSecretKey(r.ctx, REGRESSION_KEYS, TEST_PASSPHRASE, r.manifest.keys.publicKey)
    try {
      await test({ ...r, secretKey })
    } finally {
      secretKey.delete()
      r.keys.delete()
    }
  }
}

describe('packed results', () => {
  it(
    'pack stats with no level to spare by integer masks: same numbers, only totals in any slot',
    withRegressionKeys(async ({ manifest, ctx, keys, input, secretKey }) => {
      // x*x*y, x*y*y and x#present*y*y: three 3-factor stats, whose products use both 40-bit primes.
      const spec = parseSpec({
        version: 1,
        outputs: {
          v: { op: 'variance', of: 'x*y' },
          c: { op: 'correlation', of: ['x', 'y'] },
          f: { op: 'linear_model_fit', model: { weights: { x: 3, 'x*y': 0.01 }, bias: 100 }, label: 'y' },
        },
      })
      // Stats with a level to spare keep 0/1 masks here; the next test packs them by integer masks too.
      const packed = compile(spec, manifest, undefined, { preferIntegerMasks: false, maxLoneResults: 0 })
      const alone = compile(spec, manifest, undefined, { pack: false })
      const integer = packed.packs.filter((p) => p.masks === 'integer')
      expect(integer.map((p) => p.stats.map((i) => packed.stats[i]!.key))).toEqual([
        ['x*x*y', 'x*y*y', 'x#present*y*y'],
      ])
      expect(alone.cost.rotations).toBe(0)
      expectPackedLikeAlone({ ctx, keys, input }, secretKey, packed, alone)
    }),
  )

  it(
    'change the layout, not the numbers, and hold only finished totals in every slot',
    withRegressionKeys(async ({ manifest, ctx, keys, input, secretKey }) => {
      // Integer masks (the default over 300 records) and 0/1 masks (the layout over many records).
      for (const preferIntegerMasks of [true, false]) {
        const packed = compile(REGRESSION_SPEC, manifest, undefined, {
          preferIntegerMasks,
          maxLoneResults: 0,
        })
        expect(packed.packs.some((p) => p.classes > 1 && p.masks === undefined)).toBe(!preferIntegerMasks)
        const alone = compile(REGRESSION_SPEC, manifest, undefined, { pack: false })
        expect(packed.stats).toEqual(alone.stats)
        expect(packed.packs.length).toBeLessThan(alone.packs.length)
        expectPackedLikeAlone({ ctx, keys, input }, secretKey, packed, alone)
      }
    }),
  )

  it(
    "leave a stat alone with no rotation: its constant coefficient and its slots' mean are its total",
    withRegressionKeys(async ({ manifest, ctx, keys, input, secretKey }) => {
      const basis = rnsBasis(ctx)
      const lone = compile(REGRESSION_SPEC, manifest)
      expect(lone.packs.every((p) => p.classes === 1)).toBe(true)
      expect(lone.cost.rotations).toBe(0)
      const packed = compile(REGRESSION_SPEC, manifest, undefined, { maxLoneResults: 0 })
      expect(packed.cost.rotations).toBeGreaterThan(0)
      const loneCts = evaluateCircuit(ctx, keys, { ...input, circuit: lone })
      const totals = decryptStats(
        ctx,
        secretKey,
        bundleOf(evaluateCircuit(ctx, keys, { ...input, circuit: packed })),
        packed,
      )
      // The slots' mean (what decryptStats reads) is the total the packed layout gives.
      const means = decryptStats(ctx, secretKey, bundleOf(loneCts), lone)
      expectSameStats(means, totals)
      for (const [k, pack] of lone.packs.entries()) {
        const total = totals[pack.stats[0]!]!
        decrypted(ctx, secretKey, loneCts[k]!, (plain) => {
          // The constant coefficient, which a threshold opening reveals alone, is the total too.
          const pt = readPlaintext(basis, canonicalBytes(ctx, plain))
          const residues = toCoeffs(basis, pt.poly).map((limb) => limb[0]!)
          expectSameStats(
            [Number(centredCrt(basis.primes.slice(0, residues.length), residues)) / pt.scale],
            [total],
          )
          // The slots themselves are the holder's slot-wise sums, not the total in each.
          const slots = ctx.encoder.decodeFloat64(plain) as Float64Array
          if (Math.abs(total) > 1)
            expect(Math.max(...slots.map((x) => Math.abs(x - total)))).toBeGreaterThan(1)
        })
      }
    }),
  )
})
