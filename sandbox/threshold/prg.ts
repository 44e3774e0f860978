import { createCipheriv, createHash } from 'node:crypto'
import { ThresholdError } from './errors.ts'

/**
 * The one source of randomness of every share: AES-256-CTR keystream under a
 * key hashed from a 32-byte seed and a domain label. Deterministic on
 * purpose. A share must be a pure function of the member's secret and the
 * protocol instance's public inputs: a retry recomputes the same bytes, and
 * re-sending a share with fresh randomness (which leaks the key) cannot
 * happen by construction. Fresh seeds come from node:crypto's CSPRNG.
 */
export class Prg {
  private readonly cipher
  private buf = new Uint8Array(0)
  private pos = 0

  constructor(seed: Uint8Array, label: string) {
    if (seed.length !== 32)
      throw new ThresholdError('PARAMS_INVALID', 'seed', `is ${seed.length} bytes, expected 32`)
    const key = createHash('sha256')
      .update('tcf/threshold/prg/v1\0')
      .update(label)
      .update('\0')
      .update(seed)
      .digest()
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  }

  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count)
    let filled = 0
    while (filled < count) {
      if (this.pos === this.buf.length) {
        this.buf = new Uint8Array(this.cipher.update(Buffer.alloc(1 << 16)))
        this.pos = 0
      }
      const take = Math.min(count - filled, this.buf.length - this.pos)
      out.set(this.buf.subarray(this.pos, this.pos + take), filled)
      filled += take
      this.pos += take
    }
    return out
  }

  /** n values uniform in [0, q), by rejection from the bit length of q */
  uniformMod(q: bigint, n: number): BigUint64Array {
    const out = new BigUint64Array(n)
    const mask = (1n << BigInt(q.toString(2).length)) - 1n
    let i = 0
    while (i < n) {
      const words = new BigUint64Array(this.bytes(8 * (n - i + 8)).buffer)
      for (let k = 0; k < words.length && i < n; k++) {
        const v = words[k]! & mask
        if (v < q) out[i++] = v
      }
    }
    return out
  }

  /** n values uniform in {-1, 0, 1} */
  ternary(n: number): Int8Array {
    const out = new Int8Array(n)
    let i = 0
    while (i < n) {
      for (const b of this.bytes(n - i + 16)) {
        if (b < 255 && i < n) out[i++] = (b % 3) - 1
      }
    }
    return out
  }

  /** a double uniform in [0, 1) from 53 bits */
  private unit(): number {
    const b = this.bytes(8)
    const hi = (b[0]! | (b[1]! << 8) | (b[2]! << 16)) & 0x1fffff
    const lo = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0
    return (hi * 2 ** 32 + lo) / 2 ** 53
  }

  /** n values of the rounded Gaussian SEAL uses for fresh errors: σ = 3.19, cut at 6σ */
  gaussian(n: number, sigma = 3.19): Int32Array {
    const cdf = gaussianCdf(sigma)
    const bound = (cdf.length - 1) / 2
    const out = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const u = this.unit()
      let lo = 0
      let hi = cdf.length - 1
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (cdf[mid]! > u) hi = mid
        else lo = mid + 1
      }
      out[i] = lo - bound
    }
    return out
  }

  /** n values uniform in [-2^bits, 2^bits]: smudging noise */
  smudging(bits: number, n: number): BigInt64Array {
    if (!Number.isInteger(bits) || bits < 1 || bits > 62) {
      throw new ThresholdError('PARAMS_INVALID', 'smudgingBits', `${bits} is not an integer in 1..62`)
    }
    const width = (1n << BigInt(bits + 1)) + 1n
    const mask = (1n << BigInt(bits + 2)) - 1n
    const half = 1n << BigInt(bits)
    const out = new BigInt64Array(n)
    let i = 0
    while (i < n) {
      const words = new BigUint64Array(this.bytes(8 * (n - i + 8)).buffer)
      for (let k = 0; k < words.length && i < n; k++) {
        const v = words[k]! & mask
        if (v < width) out[i++] = v - half
      }
    }
    return out
  }
}

const cdfs = new Map<number, Float64Array>()

function gaussianCdf(sigma: number): Float64Array {
  const hit = cdfs.get(sigma)
  if (hit) return hit
  const bound = Math.ceil(6 * sigma)
  const weights = Array.from({ length: 2 * bound + 1 }, (_, i) =>
    Math.exp(-((i - bound) ** 2) / (2 * sigma * sigma)),
  )
  const total = weights.reduce((a, b) => a + b, 0)
  const cdf = new Float64Array(weights.length)
  let acc = 0
  weights.forEach((w, i) => {
    acc += w
    cdf[i] = acc / total
  })
  cdf[cdf.length - 1] = 1
  cdfs.set(sigma, cdf)
  return cdf
}

/** SHA-256 over labelled parts: binds a share's randomness to every public input of its instance. */
export function bindInputs(parts: readonly (string | Uint8Array)[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) {
    const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : p
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(bytes.length))
    h.update(len).update(bytes)
  }
  return new Uint8Array(h.digest())
}
