import { describe, expect, it } from 'vitest'
import { compile } from '../compiler/compile.ts'
import { decryptStats } from '../decrypt/decrypt.ts'
import { loadSecretKey } from '../he/keys.ts'
import { loadCiphertext } from '../he/serialize.ts'
import { TEST_PASSPHRASE } from '../testing/fixtures.ts'
import { REGRESSION_KEYS, REGRESSION_SPEC, regressionEvaluation } from '../testing/regression.ts'
import { evaluateCircuit } from './evaluate.ts'

const bundleOf = (stats: Uint8Array[]) => ({
  circuitId: '0x00' as const,
  execEnvHash: '0x00' as const,
  stats,
  resultHash: '0x00' as const,
})

describe('packed results', () => {
  it('change the layout, not the numbers, and hold only finished totals in every slot', async () => {
    const { manifest, ctx, keys, input } = await regressionEvaluation()
    const secretKey = await loadSecretKey(ctx, REGRESSION_KEYS, TEST_PASSPHRASE, manifest.keys.publicKey)
    try {
      const packed = compile(REGRESSION_SPEC, manifest)
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

      // What a threshold decryption would open: slot by slot, each must be its class's total or 0,
      // never a partial sum of some records (those differ from the total by whole record values).
      const decryptor = new ctx.seal.Decryptor(ctx.context, secretKey)
      const plain = new ctx.seal.Plaintext()
      try {
        for (const [k, pack] of packed.packs.entries()) {
          const ct = loadCiphertext(ctx, packedCts[k]!, `pack ${k}`)
          decryptor.decrypt(ct, plain)
          ct.delete()
          const slots = ctx.encoder.decodeFloat64(plain) as Float64Array
          let worst = 0
          for (const [i, slot] of slots.entries()) {
            const stat = pack.stats[i % pack.classes]
            worst = Math.max(worst, Math.abs(slot - (stat === undefined ? 0 : values[stat]!)))
          }
          expect(worst).toBeLessThan(1e-3)
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
