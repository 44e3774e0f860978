import { ThresholdError } from './errors.ts'
import type { RnsBasis, RnsPoly } from './rns.ts'

/**
 * Reads and writes the polynomials inside SEAL 4.x serializations, which
 * node-seal exposes only as opaque bytes. Only the uncompressed, expanded
 * form (compr_mode none, no seed) is accepted: load anything else into SEAL
 * and save it with ComprModeType.none first.
 *
 * Layout, all little-endian: a 16-byte header (magic 0xA15E, header size 16,
 * version 4.x, compr_mode, reserved, u64 total size), then the members:
 * - Ciphertext (and PublicKey, which is one): parms_id (32 bytes), u8
 *   is_ntt_form, u64 size, u64 poly_modulus_degree, u64 coeff_modulus_size,
 *   f64 scale, u64 correction_factor, then a nested header + u64 count + the
 *   u64 data, poly-major then limb-major then coefficient.
 * - Plaintext (and SecretKey): parms_id, u64 coeff_count, f64 scale, then
 *   the nested header + count + data.
 * - KSwitchKeys (RelinKeys, GaloisKeys): parms_id, u64 outer count, and per
 *   entry a u64 inner count and that many complete PublicKey serializations.
 */
const MAGIC = 0xa15e
const HEADER = 16

export interface SealCiphertext {
  readonly parmsId: Uint8Array
  readonly isNtt: boolean
  readonly scale: number
  readonly correctionFactor: bigint
  readonly polys: readonly RnsPoly[]
}

export interface SealPlaintext {
  readonly parmsId: Uint8Array
  readonly scale: number
  readonly poly: RnsPoly
}

export interface SealKSwitchKeys {
  readonly parmsId: Uint8Array
  /** keys[i][j]: decomposition component j of key i; empty entries where SEAL has none */
  readonly keys: readonly (readonly SealCiphertext[])[]
}

class Reader {
  private readonly view: DataView
  offset = 0
  readonly bytes: Uint8Array
  readonly what: string
  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes
    this.what = what
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  fail(message: string): never {
    throw new ThresholdError('SEAL_BYTES_INVALID', this.what, `${message} (at byte ${this.offset})`)
  }
  need(count: number): void {
    if (this.offset + count > this.bytes.length) this.fail(`truncated: needs ${count} more bytes`)
  }
  u8(): number {
    this.need(1)
    return this.view.getUint8(this.offset++)
  }
  u16(): number {
    this.need(2)
    const v = this.view.getUint16(this.offset, true)
    this.offset += 2
    return v
  }
  u64(): bigint {
    this.need(8)
    const v = this.view.getBigUint64(this.offset, true)
    this.offset += 8
    return v
  }
  /** a u64 count that must be a safe, bounded integer */
  count(max: number, name: string): number {
    const v = this.u64()
    if (v > BigInt(max)) this.fail(`${name} ${v} exceeds ${max}`)
    return Number(v)
  }
  f64(): number {
    this.need(8)
    const v = this.view.getFloat64(this.offset, true)
    this.offset += 8
    return v
  }
  take(count: number): Uint8Array {
    this.need(count)
    const out = this.bytes.subarray(this.offset, this.offset + count)
    this.offset += count
    return out
  }
  /** a SEAL header; returns the offset at which the object ends */
  header(): number {
    const start = this.offset
    if (this.u16() !== MAGIC) this.fail('not a SEAL object (bad magic)')
    if (this.u8() !== HEADER) this.fail('unexpected header size')
    if (this.u8() !== 4) this.fail('not a SEAL 4.x serialization')
    this.u8()
    const mode = this.u8()
    if (mode !== 0) this.fail(`compressed (compr_mode ${mode}); save with ComprModeType.none`)
    this.u16()
    const size = this.u64()
    if (size < BigInt(HEADER) || BigInt(start) + size > BigInt(this.bytes.length)) {
      this.fail(`declares ${size} bytes, ${this.bytes.length - start} present`)
    }
    return start + Number(size)
  }
}

class Writer {
  private readonly parts: Uint8Array[] = []
  length = 0
  private push(b: Uint8Array): void {
    this.parts.push(b)
    this.length += b.length
  }
  u8(v: number): void {
    this.push(Uint8Array.of(v))
  }
  u64(v: bigint | number): void {
    const b = new Uint8Array(8)
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true)
    this.push(b)
  }
  f64(v: number): void {
    const b = new Uint8Array(8)
    new DataView(b.buffer).setFloat64(0, v, true)
    this.push(b)
  }
  bytes(b: Uint8Array): void {
    this.push(b)
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length)
    let o = 0
    for (const p of this.parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
}

function header(size: number): Uint8Array {
  const b = new Uint8Array(HEADER)
  const v = new DataView(b.buffer)
  v.setUint16(0, MAGIC, true)
  v.setUint8(2, HEADER)
  v.setUint8(3, 4)
  v.setUint8(4, 1)
  v.setUint8(5, 0)
  v.setBigUint64(8, BigInt(size), true)
  return b
}

function withHeader(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + body.length)
  out.set(header(HEADER + body.length))
  out.set(body, HEADER)
  return out
}

/** Reads a nested DynArray<u64> of exactly `polyCount` polys of `limbCount` limbs, checking every value. */
function readData(r: Reader, basis: RnsBasis, polyCount: number, limbCount: number): RnsPoly[] {
  const end = r.header()
  const expected = polyCount * limbCount * basis.n
  const count = r.count(expected, 'data count')
  if (count !== expected) r.fail(`holds ${count} values, expected ${expected} (seeded or wrong size)`)
  if (end !== r.offset + 8 * count) r.fail('data size disagrees with its header')
  const raw = r.take(8 * count)
  // copy to an aligned buffer: the data can sit at any byte offset
  const all = new BigUint64Array(new Uint8Array(raw).buffer)
  const polys: RnsPoly[] = []
  for (let p = 0; p < polyCount; p++) {
    const limbs: BigUint64Array[] = []
    for (let j = 0; j < limbCount; j++) {
      const start = (p * limbCount + j) * basis.n
      const limb = all.slice(start, start + basis.n)
      const q = basis.primes[j]!
      for (let k = 0; k < basis.n; k++) {
        if (limb[k]! >= q) {
          throw new ThresholdError(
            'SEAL_BYTES_INVALID',
            `${r.what}.data[${p}][${j}][${k}]`,
            `value ${limb[k]} is not below prime ${q}`,
          )
        }
      }
      limbs.push(limb)
    }
    polys.push({ limbs })
  }
  return polys
}

function writeData(w: Writer, polys: readonly RnsPoly[]): void {
  const count = polys.reduce((acc, p) => acc + p.limbs.reduce((a, l) => a + l.length, 0), 0)
  w.bytes(header(HEADER + 8 + 8 * count))
  w.u64(count)
  for (const p of polys)
    for (const limb of p.limbs) w.bytes(new Uint8Array(limb.buffer, limb.byteOffset, limb.byteLength))
}

function limbCountOf(basis: RnsBasis, parmsId: Uint8Array, r: Reader): number {
  for (const [count, id] of basis.parmsIds) if (equalBytes(id, parmsId)) return count
  return r.fail('parms_id belongs to no level of this profile')
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function readCiphertextAt(r: Reader, basis: RnsBasis): SealCiphertext {
  const end = r.header()
  const parmsId = new Uint8Array(r.take(32))
  const limbCount = limbCountOf(basis, parmsId, r)
  const ntt = r.u8()
  if (ntt > 1) r.fail('is_ntt_form is not a boolean')
  const size = r.count(16, 'size')
  if (size < 2) r.fail(`size ${size}: a ciphertext has at least 2 polynomials`)
  if (r.count(1 << 17, 'poly_modulus_degree') !== basis.n) r.fail(`poly_modulus_degree is not ${basis.n}`)
  if (r.count(64, 'coeff_modulus_size') !== limbCount) r.fail('coeff_modulus_size disagrees with parms_id')
  const scale = r.f64()
  const correctionFactor = r.u64()
  const polys = readData(r, basis, size, limbCount)
  if (r.offset !== end) r.fail('object size disagrees with its header')
  return { parmsId, isNtt: ntt === 1, scale, correctionFactor, polys }
}

function writeCiphertextTo(w: Writer, ct: SealCiphertext, basis: RnsBasis): void {
  const body = new Writer()
  const n = basis.n
  body.bytes(ct.parmsId)
  body.u8(ct.isNtt ? 1 : 0)
  body.u64(ct.polys.length)
  body.u64(n)
  body.u64(ct.polys[0]!.limbs.length)
  body.f64(ct.scale)
  body.u64(ct.correctionFactor)
  writeData(body, ct.polys)
  w.bytes(withHeader(body.concat()))
}

function whole<T>(bytes: Uint8Array, what: string, read: (r: Reader) => T): T {
  const r = new Reader(bytes, what)
  const value = read(r)
  if (r.offset !== bytes.length) r.fail(`${bytes.length - r.offset} trailing bytes`)
  return value
}

/** A Ciphertext or a PublicKey (SEAL stores a public key as a 2-poly ciphertext at key level). */
export function readCiphertext(basis: RnsBasis, bytes: Uint8Array, what = 'ciphertext'): SealCiphertext {
  return whole(bytes, what, (r) => readCiphertextAt(r, basis))
}

export function writeCiphertext(basis: RnsBasis, ct: SealCiphertext): Uint8Array {
  const w = new Writer()
  writeCiphertextTo(w, ct, basis)
  return w.concat()
}

/** A Plaintext or a SecretKey (an NTT-form plaintext at key level). Only NTT-form plaintexts, whose size is N·limbs. */
export function readPlaintext(basis: RnsBasis, bytes: Uint8Array, what = 'plaintext'): SealPlaintext {
  return whole(bytes, what, (r) => {
    const end = r.header()
    const parmsId = new Uint8Array(r.take(32))
    const limbCount = limbCountOf(basis, parmsId, r)
    if (r.count(1 << 24, 'coeff_count') !== basis.n * limbCount)
      r.fail('coeff_count is not N times the limbs')
    const scale = r.f64()
    const [poly] = readData(r, basis, 1, limbCount)
    if (r.offset !== end) r.fail('object size disagrees with its header')
    return { parmsId, scale, poly: poly! }
  })
}

export function writePlaintext(basis: RnsBasis, pt: SealPlaintext): Uint8Array {
  const body = new Writer()
  body.bytes(pt.parmsId)
  body.u64(pt.poly.limbs.length * basis.n)
  body.f64(pt.scale)
  writeData(body, [pt.poly])
  return withHeader(body.concat())
}

export function readKSwitchKeys(basis: RnsBasis, bytes: Uint8Array, what = 'kswitch keys'): SealKSwitchKeys {
  return whole(bytes, what, (r) => {
    const end = r.header()
    const parmsId = new Uint8Array(r.take(32))
    limbCountOf(basis, parmsId, r)
    const outer = r.count(2 * basis.n, 'key count')
    const keys: SealCiphertext[][] = []
    for (let i = 0; i < outer; i++) {
      const inner = r.count(64, 'component count')
      const row: SealCiphertext[] = []
      for (let j = 0; j < inner; j++) row.push(readCiphertextAt(r, basis))
      keys.push(row)
    }
    if (r.offset !== end) r.fail('object size disagrees with its header')
    return { parmsId, keys }
  })
}

export function writeKSwitchKeys(basis: RnsBasis, k: SealKSwitchKeys): Uint8Array {
  const body = new Writer()
  body.bytes(k.parmsId)
  body.u64(k.keys.length)
  for (const row of k.keys) {
    body.u64(row.length)
    for (const ct of row) writeCiphertextTo(body, ct, basis)
  }
  return withHeader(body.concat())
}
