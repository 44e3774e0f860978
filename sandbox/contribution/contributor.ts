import type { Encryptor, Plaintext, PublicKey } from 'node-seal'
import type { Hex32 } from '../../protocol/vocabulary.ts'
import type { HeContext } from '../he/seal.ts'
import { canonicalBytes, loadInto } from '../he/serialize.ts'
import { encodeContribution, type PoolRecord } from './encode.ts'
import { layoutIdOf, type PoolLayout } from './layout.ts'
import { writeContribution } from './wire.ts'

/** The committee key a pool's contributions are encrypted under: its id and SEAL public key bytes. */
export interface PoolKey {
  readonly id: Hex32
  readonly publicKey: Uint8Array
}

/**
 * A contributor's side: its records encoded into slots (encode.ts), then
 * encrypted under the pool's committee public key directly at the lowest
 * level (the plaintext is switched down first, so SEAL encrypts one level
 * up and divides one prime out, the cheapest way to a one-prime
 * ciphertext). Holds SEAL objects: `delete()` when done.
 */
export class Contributor {
  readonly #ctx: HeContext
  readonly #layout: PoolLayout
  readonly #layoutId: Hex32
  readonly #keyId: Hex32
  readonly #publicKey: PublicKey
  readonly #encryptor: Encryptor
  readonly #plain: Plaintext

  constructor(ctx: HeContext, layout: PoolLayout, key: PoolKey) {
    this.#ctx = ctx
    this.#layout = layout
    this.#layoutId = layoutIdOf(layout)
    this.#keyId = key.id
    this.#publicKey = loadInto(
      ctx,
      () => new ctx.seal.PublicKey(),
      key.publicKey,
      'public key',
      'KEY_INVALID',
    )
    this.#encryptor = new ctx.seal.Encryptor(ctx.context, this.#publicKey)
    this.#plain = new ctx.seal.Plaintext()
  }

  /** The contribution of `records`, ready to sign and submit. */
  encrypt(records: readonly PoolRecord[]): Uint8Array {
    return this.encryptSlots(encodeContribution(this.#layout, records))
  }

  /** Already encoded slot values (encodeContribution's) as a contribution. */
  encryptSlots(slots: Float64Array): Uint8Array {
    const ctx = this.#ctx
    const ct = new ctx.seal.Ciphertext()
    try {
      ctx.encoder.encode(slots, 2 ** this.#layout.scaleBits, this.#plain)
      ctx.evaluator.plainModSwitchToInplace(this.#plain, ctx.lastParmsId)
      this.#encryptor.encrypt(this.#plain, ct)
      return writeContribution(this.#layoutId, this.#keyId, canonicalBytes(ctx, ct))
    } finally {
      ct.delete()
    }
  }

  delete(): void {
    this.#plain.delete()
    this.#encryptor.delete()
    this.#publicKey.delete()
  }
}
