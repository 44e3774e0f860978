import { createHash } from 'node:crypto'
import { BlockStreamRandom } from '../dp/random.ts'

/**
 * A reproducible stream for sampler tests only: SHA-256 of seed and counter.
 * Releases never use it; they draw from SystemRandom (owner mode) or a member's KeyedRandom.
 */
export class SeededRandom extends BlockStreamRandom {
  readonly #seed: string

  constructor(seed: string) {
    super()
    this.#seed = seed
  }

  protected block(counter: number): Uint8Array {
    return createHash('sha256').update(`${this.#seed}/${counter}`).digest()
  }
}
