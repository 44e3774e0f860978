import type { SecretKey } from 'node-seal'
import type { Circuit, PackPlan } from '../compiler/circuit.ts'
import { integerMaskTotals } from '../compiler/integer-masks.ts'
import { SandboxError } from '../errors.ts'
import type { ResultBundle } from '../evaluator/bundle.ts'
import type { HeContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'

/**
 * Decrypts a bundle into one number per stat of its circuit, in circuit
 * order. Each result ciphertext is a pack (see PackPlan): every slot of a
 * stat's class holds the same total with independent noise, so their mean
 * is the estimate. A lone stat's slots hold slot-wise sums, N/2 times
 * over, whose mean is its total exactly as well (evaluate.ts reduceAlone).
 */
export function decryptStats(
  ctx: HeContext,
  secretKey: SecretKey,
  bundle: ResultBundle,
  circuit: Pick<Circuit, 'stats' | 'packs'>,
): number[] {
  if (bundle.stats.length !== circuit.packs.length) {
    throw new SandboxError(
      'RESULT_INVALID',
      `the bundle holds ${bundle.stats.length} ciphertexts, the circuit packs its stats into ${circuit.packs.length}`,
    )
  }
  const decryptor = new ctx.seal.Decryptor(ctx.context, secretKey)
  const plain = new ctx.seal.Plaintext()
  const values: number[] = new Array<number>(circuit.stats.length).fill(Number.NaN)
  try {
    bundle.stats.forEach((bytes, i) => {
      const ct = loadInto(ctx, () => new ctx.seal.Ciphertext(), bytes, `result ${i}`, 'CIPHERTEXT_INVALID')
      try {
        decryptor.decrypt(ct, plain)
        unpackSlots(circuit.packs[i]!, ctx.encoder.decodeFloat64(plain) as Float64Array, values)
      } finally {
        ct.delete()
      }
    })
  } finally {
    plain.delete()
    decryptor.delete()
  }
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new SandboxError('RESULT_INVALID', `stat ${i} decrypted to a non-number`)
  })
  return values
}

/**
 * A pack's stats from its decrypted, decoded slots, into `into` at their
 * stat indices: the mean over each stat's class. Threshold decryption,
 * which opens the slots by other means, reads them with this too.
 */
export function unpackSlots(pack: PackPlan, slots: ArrayLike<number>, into: number[]): void {
  const { classes } = pack
  if (slots.length % classes !== 0) {
    throw new SandboxError('RESULT_INVALID', `${slots.length} slots do not split into ${classes} classes`)
  }
  const means = Array.from({ length: classes }, (_, c) => {
    let sum = 0
    for (let i = c; i < slots.length; i += classes) sum += slots[i]!
    return sum / (slots.length / classes)
  })
  // Integer masks leave a combination of the totals in each class (integer-masks.ts).
  const totals = pack.masks === 'integer' ? integerMaskTotals(means, pack.stats.length) : means
  pack.stats.forEach((stat, c) => {
    into[stat] = totals[c]!
  })
}
