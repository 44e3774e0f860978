import { createHash } from 'node:crypto'
import { type RandomSource, uniformFromBytes } from '../dp/random.ts'

/**
 * A reproducible stream for sampler tests only: SHA-256 of seed and counter.
 * Releases never use it; they draw from SystemRandom.
 */
export class SeededRandom implements RandomSource {
  readonly #seed: string
  #counter = 0
  #block = new Uint8Array(0)
  #at = 0

  constructor(seed: string) {
    this.#seed = seed
  }

  uniform(bound: bigint): bigint {
    return uniformFromBytes(bound, (n) => {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) {
        if (this.#at >= this.#block.length) {
          this.#block = createHash('sha256')
            .update(`${this.#seed}/${this.#counter++}`)
            .digest()
          this.#at = 0
        }
        out[i] = this.#block[this.#at++]!
      }
      return out
    })
  }
}
