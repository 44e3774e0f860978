import { createHmac, randomBytes } from 'node:crypto'

/**
 * Where a sampler's randomness comes from: uniform integers, drawn without
 * floating point so that no sample carries rounding artefacts.
 */
export interface RandomSource {
  /** a uniform integer in [0, bound), bound > 0 */
  uniform(bound: bigint): bigint
}

/**
 * Rejection sampling over whole bytes: draw as many bits as `bound` needs,
 * retry when the draw is past it. Exact for every bound, at most 2 draws
 * expected.
 */
export function uniformFromBytes(bound: bigint, bytes: (n: number) => Uint8Array): bigint {
  if (bound <= 0n) throw new RangeError(`uniform bound must be positive, got ${bound}`)
  if (bound === 1n) return 0n
  const bits = (bound - 1n).toString(2).length
  const length = Math.ceil(bits / 8)
  const excess = BigInt(length * 8 - bits)
  for (;;) {
    let v = 0n
    for (const b of bytes(length)) v = (v << 8n) | BigInt(b)
    v >>= excess
    if (v < bound) return v
  }
}

/** The operating system's CSPRNG (node:crypto), buffered: what every release uses. */
export class SystemRandom implements RandomSource {
  #pool = new Uint8Array(0)
  #at = 0

  uniform(bound: bigint): bigint {
    return uniformFromBytes(bound, (n) => this.#take(n))
  }

  #take(n: number): Uint8Array {
    if (this.#at + n > this.#pool.length) {
      this.#pool = randomBytes(Math.max(4096, n))
      this.#at = 0
    }
    const out = this.#pool.subarray(this.#at, this.#at + n)
    this.#at += n
    return out
  }
}

/** Uniform integers from a deterministic stream of 32-byte blocks (`block(counter)`). */
export abstract class BlockStreamRandom implements RandomSource {
  #counter = 0
  #block: Uint8Array = new Uint8Array(0)
  #at = 0

  protected abstract block(counter: number): Uint8Array

  uniform(bound: bigint): bigint {
    return uniformFromBytes(bound, (n) => {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) {
        if (this.#at >= this.#block.length) {
          this.#block = this.block(this.#counter++)
          this.#at = 0
        }
        out[i] = this.#block[this.#at++]!
      }
      return out
    })
  }
}

/**
 * A stream keyed by a secret: HMAC-SHA256(key, label / counter). For a committee member's privacy
 * noise, keyed by its secret release seed and labelled by the opening: one fixed sample per
 * opening, the same after a restart, unpredictable to anyone without the member's seed.
 */
export class KeyedRandom extends BlockStreamRandom {
  readonly #key: Uint8Array
  readonly #label: string

  constructor(key: Uint8Array, label: string) {
    super()
    if (key.length < 32) {
      throw new RangeError(`a keyed stream needs a key of 32 bytes or more, got ${key.length}`)
    }
    this.#key = key
    this.#label = label
  }

  protected block(counter: number): Uint8Array {
    return createHmac('sha256', this.#key).update(`${this.#label}/${counter}`).digest()
  }
}
