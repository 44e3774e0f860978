import type { SecretKey } from 'node-seal'
import { SandboxError } from '../errors.ts'
import type { ResultBundle } from '../evaluator/bundle.ts'
import type { HeContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'

/**
 * Decrypts each stat of a bundle. After rotate-and-sum every slot holds the
 * same total, each with independent noise, so their mean is the estimate:
 * 64x less noise than one slot at N=8192.
 */
export function decryptStats(ctx: HeContext, secretKey: SecretKey, bundle: ResultBundle): number[] {
  const decryptor = new ctx.seal.Decryptor(ctx.context, secretKey)
  const plain = new ctx.seal.Plaintext()
  try {
    return bundle.stats.map((bytes, i) => {
      const ct = loadInto(ctx, () => new ctx.seal.Ciphertext(), bytes, `stat ${i}`, 'CIPHERTEXT_INVALID')
      try {
        decryptor.decrypt(ct, plain)
        const slots = ctx.encoder.decodeFloat64(plain) as Float64Array
        let sum = 0
        for (const v of slots) sum += v
        const value = sum / slots.length
        if (!Number.isFinite(value))
          throw new SandboxError('RESULT_INVALID', `stat ${i} decrypted to a non-number`)
        return value
      } finally {
        ct.delete()
      }
    })
  } finally {
    plain.delete()
    decryptor.delete()
  }
}
