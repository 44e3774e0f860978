import { SandboxError } from '../errors.ts'
import type { HeProfile } from './profiles.ts'

/**
 * Bit-packed residues: the wire and at-rest form of a fresh seeded
 * ciphertext. SEAL stores each residue of c0 in a 64-bit word, but a
 * residue modulo a 40-bit prime has 40 bits, and they are uniformly random,
 * so zstd wins little (~40 B per value at N=8192). Here the residues modulo
 * each prime take exactly that prime's bits, and everything else of SEAL's
 * serialization (header, parameters id, the PRNG seed of c1) is kept
 * verbatim, so unpacking rebuilds SEAL's bytes exactly and SEAL checks them
 * on load as it checks any ciphertext.
 *
 *   "TCFC" | version 1 | L | bits[L] | u32 N | u32 headLength | head | u32 tailLength | tail | residues
 */
const MAGIC = [0x54, 0x43, 0x46, 0x43] // "TCFC"
const VERSION = 1
const MAX_VERBATIM = 4096

/** SEAL 4 ciphertext layout: its header, members, then the data array's own header and count. */
const SEAL_MAGIC = 0xa15e
const OFFSET_SIZE = 16 + 32 + 1
const OFFSET_DEGREE = OFFSET_SIZE + 8
const OFFSET_PRIMES = OFFSET_DEGREE + 8
const OFFSET_DATA_HEADER = OFFSET_PRIMES + 8 + 8 + 8
const OFFSET_DATA = OFFSET_DATA_HEADER + 16 + 8

export function isPacked(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC.every((b, i) => bytes[i] === b)
}

/** Bits of each data prime of a profile: what a residue modulo it needs. */
function primeBits(profile: HeProfile): number[] {
  return profile.coeffModulusBits.slice(0, -1)
}

/** Packs SEAL's uncompressed serialization of a fresh seeded ciphertext of `profile`. */
export function packCiphertext(profile: HeProfile, seal: Uint8Array): Uint8Array {
  const view = new DataView(seal.buffer, seal.byteOffset, seal.byteLength)
  const bits = primeBits(profile)
  const n = profile.polyModulusDegree
  const count = n * bits.length
  const layoutOk =
    seal.length >= OFFSET_DATA + count * 8 &&
    view.getUint16(0, true) === SEAL_MAGIC &&
    seal[5] === 0 && // uncompressed
    Number(view.getBigUint64(OFFSET_SIZE, true)) === 2 &&
    Number(view.getBigUint64(OFFSET_DEGREE, true)) === n &&
    Number(view.getBigUint64(OFFSET_PRIMES, true)) === bits.length &&
    view.getUint16(OFFSET_DATA_HEADER, true) === SEAL_MAGIC &&
    Number(view.getBigUint64(OFFSET_DATA - 8, true)) === count &&
    seal.length - (OFFSET_DATA + count * 8) <= MAX_VERBATIM
  if (!layoutOk) {
    throw new SandboxError(
      'CIPHERTEXT_INVALID',
      `not a fresh seeded ${profile.name} ciphertext: cannot pack it`,
    )
  }
  const head = seal.subarray(0, OFFSET_DATA)
  const tail = seal.subarray(OFFSET_DATA + count * 8)
  const prefix = 4 + 2 + bits.length + 4 + 4 + head.length + 4 + tail.length
  const out = new Uint8Array(prefix + residueBytes(n, bits))
  const o = new DataView(out.buffer)
  out.set(MAGIC, 0)
  out[4] = VERSION
  out[5] = bits.length
  out.set(bits, 6)
  let at = 6 + bits.length
  o.setUint32(at, n, true)
  o.setUint32(at + 4, head.length, true)
  out.set(head, at + 8)
  at += 8 + head.length
  o.setUint32(at, tail.length, true)
  out.set(tail, at + 4)
  at += 4 + tail.length
  const writer = new BitStream(out, at)
  bits.forEach((b, j) => {
    const word0 = OFFSET_DATA + j * n * 8
    if (packAligned(seal, word0, n, b, out, writer)) return
    for (let k = 0; k < n; k++) {
      const word = OFFSET_DATA + (j * n + k) * 8
      const lo = view.getUint32(word, true)
      const hi = view.getUint32(word + 4, true)
      const tooWide = b <= 32 ? hi !== 0 || (b < 32 && lo >>> b !== 0) : b < 64 && hi >>> (b - 32) !== 0
      if (tooWide) {
        throw new SandboxError('CIPHERTEXT_INVALID', `residue ${k} modulo prime ${j} exceeds ${b} bits`)
      }
      writer.put(lo, Math.min(b, 32))
      if (b > 32) writer.put(hi, b - 32)
    }
  })
  return out
}

/** SEAL's bytes of a packed ciphertext, or a typed error naming what is malformed. */
export function unpackCiphertext(profile: HeProfile, packed: Uint8Array, what: string): Uint8Array {
  const fail = (why: string) =>
    new SandboxError('PACKED_INVALID', `${what} is not a valid packed ciphertext: ${why}`, { field: what })
  if (!isPacked(packed)) throw fail('bad magic')
  if (packed.length < 6) throw fail('truncated header')
  if (packed[4] !== VERSION) throw fail(`unknown version ${packed[4]}`)
  const bits = [...packed.subarray(6, 6 + (packed[5] ?? 0))]
  const expected = primeBits(profile)
  if (bits.length !== expected.length || bits.some((b, i) => b !== expected[i])) {
    throw fail(`prime sizes ${bits.join(',')} are not ${profile.name}'s ${expected.join(',')}`)
  }
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength)
  let at = 6 + bits.length
  const u32 = (why: string) => {
    if (at + 4 > packed.length) throw fail(`truncated ${why}`)
    const v = view.getUint32(at, true)
    at += 4
    return v
  }
  const n = u32('degree')
  if (n !== profile.polyModulusDegree) throw fail(`degree ${n}, expected ${profile.polyModulusDegree}`)
  const headLength = u32('head length')
  if (headLength !== OFFSET_DATA || at + headLength > packed.length) throw fail('bad head length')
  const head = packed.subarray(at, at + headLength)
  at += headLength
  const tailLength = u32('tail length')
  if (tailLength > MAX_VERBATIM || at + tailLength > packed.length) throw fail('bad tail length')
  const tail = packed.subarray(at, at + tailLength)
  at += tailLength
  if (packed.length - at !== residueBytes(n, bits)) {
    throw fail(`${packed.length - at} bytes of residues, expected ${residueBytes(n, bits)}`)
  }
  const count = n * bits.length
  const out = new Uint8Array(headLength + count * 8 + tailLength)
  const o = new DataView(out.buffer)
  out.set(head, 0)
  out.set(tail, headLength + count * 8)
  const reader = new BitStream(packed, at)
  bits.forEach((b, j) => {
    if (unpackAligned(packed, reader, n, b, out, headLength + j * n * 8)) return
    for (let k = 0; k < n; k++) {
      const word = headLength + (j * n + k) * 8
      o.setUint32(word, reader.get(Math.min(b, 32)), true)
      o.setUint32(word + 4, b > 32 ? reader.get(b - 32) : 0, true)
    }
  })
  return out
}

/**
 * The same bits as the stream, a byte at a time: a residue of 8h bits is its word's low h bytes,
 * and two of 8h + 4 bits share their middle byte. Covers every profile's primes (40 and 60 bits);
 * other widths take the general stream. False when this width has no such path.
 */
function packAligned(
  seal: Uint8Array,
  word0: number,
  n: number,
  b: number,
  out: Uint8Array,
  writer: BitStream,
): boolean {
  const h = b >>> 3
  let o = writer.byteOffset
  if (b % 8 === 0) {
    for (let k = 0, w = word0; k < n; k++, w += 8) {
      for (let t = h; t < 8; t++) if (seal[w + t] !== 0) throw tooWide(k, b)
      for (let t = 0; t < h; t++) out[o++] = seal[w + t]!
    }
  } else if (b % 8 === 4) {
    for (let k = 0, w = word0; k < n; k += 2, w += 16) {
      const v = w + 8
      for (const x of [w, v]) {
        if ((seal[x + h]! & 0xf0) !== 0) throw tooWide(k, b)
        for (let t = h + 1; t < 8; t++) if (seal[x + t] !== 0) throw tooWide(k, b)
      }
      for (let t = 0; t < h; t++) out[o++] = seal[w + t]!
      out[o++] = seal[w + h]! | ((seal[v]! & 0x0f) << 4)
      for (let t = 0; t < h; t++) out[o++] = (seal[v + t]! >>> 4) | ((seal[v + t + 1]! & 0x0f) << 4)
    }
  } else {
    return false
  }
  writer.skipBytes(o - writer.byteOffset)
  return true
}

/** The inverse of packAligned, into SEAL's 64-bit words from `word0` (zeroed by the caller). */
function unpackAligned(
  packed: Uint8Array,
  reader: BitStream,
  n: number,
  b: number,
  out: Uint8Array,
  word0: number,
): boolean {
  const h = b >>> 3
  let i = reader.byteOffset
  if (b % 8 === 0) {
    for (let k = 0, w = word0; k < n; k++, w += 8) for (let t = 0; t < h; t++) out[w + t] = packed[i++]!
  } else if (b % 8 === 4) {
    for (let k = 0, w = word0; k < n; k += 2, w += 16) {
      const v = w + 8
      for (let t = 0; t < h; t++) out[w + t] = packed[i++]!
      const middle = packed[i++]!
      out[w + h] = middle & 0x0f
      let carry = middle >>> 4
      for (let t = 0; t < h; t++) {
        const next = packed[i++]!
        out[v + t] = carry | ((next & 0x0f) << 4)
        carry = next >>> 4
      }
      out[v + h] = carry
    }
  } else {
    return false
  }
  reader.skipBytes(i - reader.byteOffset)
  return true
}

function tooWide(k: number, b: number): SandboxError {
  return new SandboxError('CIPHERTEXT_INVALID', `residue ${k} exceeds ${b} bits`)
}

function residueBytes(n: number, bits: readonly number[]): number {
  return bits.reduce((a, b) => a + Math.ceil((n * b) / 8), 0)
}

/** Little-endian bit stream: each prime's residues start on a byte boundary (n * bits is a multiple of 8). */
class BitStream {
  readonly bytes: Uint8Array
  #bit: number
  constructor(bytes: Uint8Array, start: number) {
    this.bytes = bytes
    this.#bit = start * 8
  }

  /** The byte the stream is at; only meaningful on a byte boundary, where each prime starts. */
  get byteOffset(): number {
    return this.#bit >>> 3
  }

  skipBytes(count: number): void {
    this.#bit += count * 8
  }

  /** Appends the low `n` (<= 32) bits of `value`. */
  put(value: number, n: number): void {
    let v = value >>> 0
    let left = n
    while (left > 0) {
      const byte = this.#bit >>> 3
      const offset = this.#bit & 7
      const take = Math.min(8 - offset, left)
      this.bytes[byte] = this.bytes[byte]! | ((v & ((1 << take) - 1)) << offset)
      v >>>= take
      left -= take
      this.#bit += take
    }
  }

  /** Reads the next `n` (<= 32) bits. */
  get(n: number): number {
    let v = 0
    let got = 0
    while (got < n) {
      const byte = this.#bit >>> 3
      const offset = this.#bit & 7
      const take = Math.min(8 - offset, n - got)
      v += ((this.bytes[byte]! >>> offset) & ((1 << take) - 1)) * 2 ** got
      got += take
      this.#bit += take
    }
    return v >>> 0
  }
}
