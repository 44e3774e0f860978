import { beforeAll, describe, expect, it } from 'vitest'
import { type HeContext, heContext } from '../he/seal.ts'
import { ThresholdError } from './errors.ts'
import { inverseNtt } from './ntt.ts'
import { fromSigned, mul, type RnsBasis, rnsBasis, toCoeffs } from './rns.ts'
import {
  readCiphertext,
  readKSwitchKeys,
  readPlaintext,
  writeCiphertext,
  writeKSwitchKeys,
  writePlaintext,
} from './seal-format.ts'

let ctx: HeContext
let basis: RnsBasis
let sealed: { sk: Uint8Array; pk: Uint8Array; rk: Uint8Array; gk: Uint8Array; ct: Uint8Array }

function bytesOf(v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError('node-seal returned no bytes')
  return v
}

beforeAll(async () => {
  ctx = await heContext('ckks-8192')
  basis = rnsBasis(ctx)
  const { seal } = ctx
  const none = seal.ComprModeType.none
  const keygen = new seal.KeyGenerator(ctx.context)
  const sk = keygen.secretKey()
  const pk = keygen.createPublicKey()
  const rk = keygen.createRelinKeys()
  const gk = keygen.createGaloisKeysWithSteps(Int32Array.from([1, 4]))
  const encryptor = new seal.Encryptor(ctx.context, pk)
  const plain = new seal.Plaintext()
  ctx.encoder.encode(Float64Array.from([1.5, -2, 3]), ctx.scale, plain)
  const ct = new seal.Ciphertext()
  encryptor.encrypt(plain, ct)
  sealed = {
    sk: bytesOf(sk.saveToArray(none)),
    pk: bytesOf(pk.saveToArray(none)),
    rk: bytesOf(rk.saveToArray(none)),
    gk: bytesOf(gk.saveToArray(none)),
    ct: bytesOf(ct.saveToArray(none)),
  }
  for (const o of [sk, pk, rk, gk, encryptor, plain, ct, keygen]) o.delete()
})

function centred(v: bigint, q: bigint): bigint {
  return v > q / 2n ? v - q : v
}

describe('RNS access to SEAL objects', () => {
  it('reads the four key-level primes and a parms_id per level', () => {
    expect(basis.primes.map((q) => q.toString(2).length)).toEqual([60, 40, 40, 60])
    expect([...basis.parmsIds.keys()].sort()).toEqual([1, 2, 3, 4])
  })

  it('rewrites every object kind byte-identically', () => {
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(b)
    expect(same(writePlaintext(basis, readPlaintext(basis, sealed.sk)), sealed.sk)).toBe(true)
    expect(same(writeCiphertext(basis, readCiphertext(basis, sealed.pk)), sealed.pk)).toBe(true)
    expect(same(writeCiphertext(basis, readCiphertext(basis, sealed.ct)), sealed.ct)).toBe(true)
    expect(same(writeKSwitchKeys(basis, readKSwitchKeys(basis, sealed.rk)), sealed.rk)).toBe(true)
    expect(same(writeKSwitchKeys(basis, readKSwitchKeys(basis, sealed.gk)), sealed.gk)).toBe(true)
  })

  it("inverts SEAL's own NTT: SEAL's secret key comes back ternary and equal across primes, and maps back exactly", () => {
    const sk = readPlaintext(basis, sealed.sk, 'secret key')
    const coeffs = toCoeffs(basis, sk.poly)
    const signed = Array.from({ length: basis.n }, (_, k) => centred(coeffs[0]![k]!, basis.primes[0]!))
    for (let j = 1; j < basis.primes.length; j++) {
      expect(coeffs[j]!.every((v, k) => centred(v, basis.primes[j]!) === signed[k])).toBe(true)
    }
    expect(new Set(signed.map(String))).toEqual(new Set(['-1', '0', '1']))
    const back = fromSigned(basis, signed)
    back.limbs.forEach((limb, j) => {
      expect(limb.every((v, k) => v === sk.poly.limbs[j]![k])).toBe(true)
    })
  })

  it('multiplies negacyclically in NTT form: X^a · X^b = ±X^(a+b mod N)', () => {
    const mono = (k: number) =>
      fromSigned(
        basis,
        Array.from({ length: basis.n }, (_, i) => (i === k ? 1 : 0)),
      )
    const [wrapA, wrapB] = [5000, 4000]
    const product = toCoeffs(basis, mul(basis, mono(wrapA), mono(wrapB)))
    const at = (wrapA + wrapB) % basis.n
    product.forEach((limb, j) => {
      const q = basis.primes[j]!
      expect(limb.every((v, k) => v === (k === at ? q - 1n : 0n))).toBe(true)
    })
  })

  it('knows where each SEAL key-switching component sits (relin: 1 key × 3 components; Galois: by element)', () => {
    const rk = readKSwitchKeys(basis, sealed.rk)
    expect(rk.keys.map((row) => row.length)).toEqual([3])
    const gk = readKSwitchKeys(basis, sealed.gk)
    // SEAL indexes a Galois key by (element - 1) / 2; steps 1 and 4 are 3 and 3^4 = 81
    const present = gk.keys.flatMap((row, i) => (row.length > 0 ? [2 * i + 1] : []))
    expect(present).toEqual([3, 81])
  })
})

describe('the other profile, ckks-16384', () => {
  it("reads its nine primes and inverts SEAL's NTT of its secret key to a ternary polynomial", async () => {
    const big = await heContext('ckks-16384')
    const b = rnsBasis(big)
    expect(b.n).toBe(16384)
    expect(b.primes.map((q) => q.toString(2).length)).toEqual([60, 40, 40, 40, 40, 40, 40, 40, 60])
    const keygen = new big.seal.KeyGenerator(big.context)
    const sk = keygen.secretKey()
    const bytes = bytesOf(sk.saveToArray(big.seal.ComprModeType.none))
    sk.delete()
    keygen.delete()
    const poly = readPlaintext(b, bytes, 'secret key').poly
    expect(
      Buffer.from(writePlaintext(b, { parmsId: b.parmsIds.get(9)!, scale: 1, poly })).equals(bytes),
    ).toBe(true)
    const [first, last] = [0, 8].map((j) => {
      const limb = poly.limbs[j]!.slice()
      inverseNtt(limb, b.ntt[j]!)
      return limb
    }) as [BigUint64Array, BigUint64Array]
    const signed = (v: bigint, q: bigint) => centred(v, q)
    expect(first.every((v, k) => signed(v, b.primes[0]!) === signed(last[k]!, b.primes[8]!))).toBe(true)
    expect(first.every((v) => Math.abs(Number(signed(v, b.primes[0]!))) <= 1)).toBe(true)
  })
})

describe('malformed SEAL bytes get a typed error naming what was wrong', () => {
  function refusal(read: () => unknown): ThresholdError {
    try {
      read()
    } catch (e) {
      if (e instanceof ThresholdError) return e
      throw e
    }
    throw new Error('accepted')
  }

  it('truncated', () => {
    const e = refusal(() => readCiphertext(basis, sealed.ct.subarray(0, 1000)))
    expect(e.code).toBe('SEAL_BYTES_INVALID')
    expect(e.message).toMatch(/declares \d+ bytes/)
  })

  it('bad magic', () => {
    const bytes = sealed.ct.slice()
    bytes[0] = 0
    expect(refusal(() => readCiphertext(basis, bytes)).message).toMatch(/bad magic/)
  })

  it('trailing bytes', () => {
    const bytes = new Uint8Array(sealed.ct.length + 3)
    bytes.set(sealed.ct)
    expect(refusal(() => readCiphertext(basis, bytes)).message).toMatch(/3 trailing bytes/)
  })

  it('a value not below its prime, named by position', () => {
    const bytes = sealed.pk.slice()
    // the first data word of the public key: header + members + nested header + count
    const first = 16 + 32 + 1 + 8 * 5 + 16 + 8
    bytes.fill(0xff, first, first + 8)
    const e = refusal(() => readCiphertext(basis, bytes, 'public key'))
    expect(e.field).toBe('public key.data[0][0][0]')
    expect(e.message).toMatch(/not below prime/)
  })

  it('compressed and seeded forms', () => {
    const { seal } = ctx
    const keygen = new seal.KeyGenerator(ctx.context)
    const pk = keygen.createPublicKey()
    const zstd = bytesOf(pk.saveToArray(seal.ComprModeType.zstd))
    const seeded = keygen.createPublicKeySerializable()
    const seededBytes = bytesOf(seeded.saveToArray(seal.ComprModeType.none))
    for (const o of [pk, seeded, keygen]) o.delete()
    expect(refusal(() => readCiphertext(basis, zstd)).message).toMatch(/compressed/)
    expect(refusal(() => readCiphertext(basis, seededBytes)).message).toMatch(/seeded or wrong size/)
  })

  it('an object of another profile', async () => {
    const big = await heContext('ckks-16384')
    const keygen = new big.seal.KeyGenerator(big.context)
    const sk = keygen.secretKey()
    const bytes = bytesOf(sk.saveToArray(big.seal.ComprModeType.none))
    sk.delete()
    keygen.delete()
    expect(refusal(() => readPlaintext(basis, bytes, 'secret key')).message).toMatch(
      /parms_id belongs to no level/,
    )
  })
})
