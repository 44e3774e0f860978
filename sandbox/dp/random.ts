import { randomBytes } from 'node:crypto'

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
