import type { SecretKey } from 'node-seal'
import { describe, expect, it } from 'vitest'
import type { PackPlan } from '../compiler/circuit.ts'
import { compile } from '../compiler/compile.ts'
import { integerMaskValue } from '../compiler/integer-masks.ts'
import { decryptStats } from '../decrypt/decrypt.ts'
import { loadSecretKey } from '../he/keys.ts'
import type { HeContext } from '../he/seal.ts'
import { canonicalBytes, loadCiphertext, loadInto } from '../he/serialize.ts'
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

function decryptSlots(ctx: HeContext, secretKey: SecretKey, bytes: Uint8Array): Float64Array {
  const decryptor = new ctx.seal.Decryptor(ctx.context, secretKey)
  const plain = new ctx.seal.Plaintext()
  const ct = loadCiphertext(ctx, bytes, 'pack')
  try {
    decryptor.decrypt(ct, plain)
    return ctx.encoder.decodeFloat64(plain) as Float64Array
  } finally {
    ct.delete()
    plain.delete()
    decryptor.delete()
  }
}

describe('packed results', () => {
  it('pack stats with no level to spare by integer masks: same numbers, only totals in any slot', async () => {
    const { manifest, ctx, keys, input } = await regressionEvaluation()
    const secretKey = await loadSecretKey(ctx, REGRESSION_KEYS, TEST_PASSPHRASE, manifest.keys.publicKey)
    try {
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
      const packedCts = evaluateCircuit(ctx, keys, { ...input, circuit: packed })
      const values = decryptStats(ctx, secretKey, bundleOf(packedCts), packed)
      const before = decryptStats(
        ctx,
        secretKey,
        bundleOf(evaluateCircuit(ctx, keys, { ...input, circuit: alone })),
        alone,
      )
      for (const [i, v] of before.entries())
        expect(Math.abs(values[i]! - v)).toBeLessThan(1e-6 * Math.max(1, Math.abs(v)))
      for (const [k, pack] of packed.packs.entries())
        if (pack.classes > 1)
          expect(worstSlot(pack, decryptSlots(ctx, secretKey, packedCts[k]!), values)).toBeLessThan(1e-3)
    } finally {
      secretKey.delete()
      keys.delete()
    }
  })

  it('change the layout, not the numbers, and hold only finished totals in every slot', async () => {
    const { manifest, ctx, keys, input } = await regressionEvaluation()
    const secretKey = await loadSecretKey(ctx, REGRESSION_KEYS, TEST_PASSPHRASE, manifest.keys.publicKey)
    try {
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
        const packedCts = evaluateCircuit(ctx, keys, { ...input, circuit: packed })
        const aloneCts = evaluateCircuit(ctx, keys, { ...input, circuit: alone })
        expect(packedCts).toHaveLength(packed.packs.length)
        const values = decryptStats(ctx, secretKey, bundleOf(packedCts), packed)
        const before = decryptStats(ctx, secretKey, bundleOf(aloneCts), alone)
        for (const [i, v] of before.entries())
          expect(Math.abs(values[i]! - v)).toBeLessThan(1e-6 * Math.max(1, Math.abs(v)))

        // What a decryption of a pack's slots opens: slot by slot, each must be its class's total or 0,
        // never a partial sum of some records (those differ from the total by whole record values).
        // (A lone stat is opened at its constant coefficient alone: the next test.)
        const decryptor = new ctx.seal.Decryptor(ctx.context, secretKey)
        const plain = new ctx.seal.Plaintext()
        try {
          for (const [k, pack] of packed.packs.entries()) {
            if (pack.classes === 1) continue
            const ct = loadCiphertext(ctx, packedCts[k]!, `pack ${k}`)
            decryptor.decrypt(ct, plain)
            ct.delete()
            const slots = ctx.encoder.decodeFloat64(plain) as Float64Array
            expect(worstSlot(pack, slots, values)).toBeLessThan(1e-3)
          }
        } finally {
          plain.delete()
          decryptor.delete()
        }
      }
    } finally {
      secretKey.delete()
      keys.delete()
    }
  })

  it("leave a stat alone with no rotation: its constant coefficient and its slots' mean are its total", async () => {
    const { manifest, ctx, keys, input } = await regressionEvaluation()
    const secretKey = await loadSecretKey(ctx, REGRESSION_KEYS, TEST_PASSPHRASE, manifest.keys.publicKey)
    const basis = rnsBasis(ctx)
    try {
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
      for (const [i, v] of totals.entries())
        expect(Math.abs(means[i]! - v)).toBeLessThan(1e-6 * Math.max(1, Math.abs(v)))
      const decryptor = new ctx.seal.Decryptor(ctx.context, secretKey)
      const plain = new ctx.seal.Plaintext()
      try {
        for (const [k, pack] of lone.packs.entries()) {
          // A product stat of an owner vault keeps its s² term: three polynomials, which the key decrypts.
          const ct = loadInto(
            ctx,
            () => new ctx.seal.Ciphertext(),
            loneCts[k]!,
            `stat ${k}`,
            'CIPHERTEXT_INVALID',
          )
          expect(ct.size()).toBe(lone.stats[pack.stats[0]!]!.factors.length > 1 ? 3 : 2)
          decryptor.decrypt(ct, plain)
          ct.delete()
          // The constant coefficient, which a threshold opening reveals alone, is the total too.
          const pt = readPlaintext(basis, canonicalBytes(ctx, plain))
          const residues = toCoeffs(basis, pt.poly).map((limb) => limb[0]!)
          const constant = Number(centredCrt(basis.primes.slice(0, residues.length), residues)) / pt.scale
          const total = totals[pack.stats[0]!]!
          expect(Math.abs(constant - total)).toBeLessThan(1e-6 * Math.max(1, Math.abs(total)))
          // The slots themselves are the holder's slot-wise sums, not the total in each.
          const slots = ctx.encoder.decodeFloat64(plain) as Float64Array
          if (Math.abs(total) > 1)
            expect(Math.max(...slots.map((x) => Math.abs(x - total)))).toBeGreaterThan(1)
        }
      } finally {
        plain.delete()
        decryptor.delete()
      }
    } finally {
      secretKey.delete()
      keys.delete()
    }
  })
})
