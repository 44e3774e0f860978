import type { Ciphertext } from 'node-seal'
import type { Hex32 } from '../../protocol/vocabulary.ts'
import type { HeContext } from '../he/seal.ts'
import { canonicalBytes, loadInto } from '../he/serialize.ts'
import { ContributionError } from './errors.ts'
import { capacityOf, layoutIdOf, type PoolLayout } from './layout.ts'
import { type ContributionTarget, readContribution } from './wire.ts'

/**
 * A pool's running aggregate: the slot-wise sum of every admitted
 * contribution, one ciphertext at the lowest level. The network's whole
 * work per contribution is to check it and add it; slot i of the sum is
 * the pool's total of monomial i, what a threshold decryption opens.
 * A refused contribution leaves the aggregate as it was. Holds a SEAL
 * ciphertext: `delete()` when done.
 */
export class PoolAggregate {
  readonly #ctx: HeContext
  readonly #target: ContributionTarget
  readonly capacity: number
  #sum: Ciphertext | undefined
  #count = 0

  constructor(ctx: HeContext, layout: PoolLayout, keyId: Hex32) {
    this.#ctx = ctx
    this.#target = { layoutId: layoutIdOf(layout), keyId, scale: 2 ** layout.scaleBits }
    this.capacity = capacityOf(layout)
  }

  /**
   * An aggregate resumed from its persisted bytes (toBytes of one holding `count` contributions),
   * so a node adds a block's contributions to the previous snapshot instead of summing the log again.
   */
  static resume(
    ctx: HeContext,
    layout: PoolLayout,
    keyId: Hex32,
    bytes: Uint8Array,
    count: number,
  ): PoolAggregate {
    const aggregate = new PoolAggregate(ctx, layout, keyId)
    aggregate.#sum = loadInto(ctx, () => new ctx.seal.Ciphertext(), bytes, 'aggregate', 'CIPHERTEXT_INVALID')
    aggregate.#count = count
    return aggregate
  }

  get count(): number {
    return this.#count
  }

  /** Checks a contribution's bytes and adds it; a ContributionError says why not. */
  add(bytes: Uint8Array): void {
    if (this.#count >= this.capacity) {
      throw new ContributionError(
        'POOL_FULL',
        'aggregate',
        `holds ${this.#count} contributions, all this layout's bound lets one ciphertext decrypt`,
      )
    }
    const ct = readContribution(this.#ctx, this.#target, bytes)
    if (this.#sum === undefined) {
      this.#sum = ct
    } else {
      this.#ctx.evaluator.addInplace(this.#sum, ct)
      ct.delete()
    }
    this.#count++
  }

  /** The sum as uncompressed SEAL bytes: what is persisted, and decrypted by the committee. */
  toBytes(): Uint8Array {
    if (!this.#sum) throw new ContributionError('AGGREGATE_EMPTY', 'aggregate', 'holds no contribution yet')
    return canonicalBytes(this.#ctx, this.#sum)
  }

  delete(): void {
    this.#sum?.delete()
    this.#sum = undefined
  }
}
