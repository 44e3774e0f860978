import { describe, expect, it } from 'vitest'
import { heContext } from '../he/seal.ts'
import { complexPairs } from './complex-pairs.ts'

/** One seller's keys: a secret key, the conjugation (Galois step 0), and a symmetric encryptor. */
async function singleKey() {
  const ctx = await heContext('ckks-8192')
  const { seal } = ctx
  const keygen = new seal.KeyGenerator(ctx.context)
  const sk = keygen.secretKey()
  const galois = keygen.createGaloisKeysWithSteps(Int32Array.of(0))
  const encryptor = new seal.Encryptor(ctx.context, keygen.createPublicKey(), sk)
  const decryptor = new seal.Decryptor(ctx.context, sk)
  return { ctx, seal, keygen, sk, galois, encryptor, decryptor }
}

describe('two values per complex slot', () => {
  it('separates the real and imaginary halves into ordinary ciphertexts of each chunk', async () => {
    const { ctx, seal, keygen, sk, galois, encryptor, decryptor } = await singleKey()
    const slots = ctx.profile.slotCount
    const x = Float64Array.from({ length: slots }, (_, j) => Math.sin(j) * 0.9)
    const y = Float64Array.from({ length: slots }, (_, j) => ((j * 7919) % 201) / 100 - 1)
    const plain = new seal.Plaintext()
    complexPairs(ctx).encode(x, y, plain)
    const pair = new seal.Ciphertext()
    encryptor.encryptSymmetric(plain, pair)
    const [re, im] = complexPairs(ctx).split(pair, galois)
    const out = new seal.Plaintext()
    const open = (ct: typeof re) => {
      decryptor.decrypt(ct, out)
      return ctx.encoder.decodeFloat64(out) as Float64Array
    }
    const gotX = open(re)
    const gotY = open(im)
    let worst = 0
    for (let j = 0; j < slots; j++) {
      worst = Math.max(worst, Math.abs(gotX[j]! - x[j]!), Math.abs(gotY[j]! - y[j]!))
    }
    // The conjugation's key switch, as a rotation's: ~7e-9 rms, no bias, a few slots up to ~1e-6
    // (measured; a fresh encryption's worst is ~8e-10). Far below a record's weight in any statistic.
    expect(worst).toBeLessThan(5e-6)
    expect(re.scale()).toBe(ctx.scale)
    expect(im.scale()).toBe(ctx.scale)
    expect(re.coeffModulusSize()).toBe(ctx.profile.coeffModulusBits.length - 1)
    for (const o of [re, im, pair, plain, out, encryptor, decryptor, galois, sk, keygen]) o.delete()
  })

  it('holds a chunk with an empty second half (a vault whose last ciphertext is half full)', async () => {
    const { ctx, seal, keygen, sk, galois, encryptor, decryptor } = await singleKey()
    const x = Float64Array.from({ length: 40 }, (_, j) => (j % 10) / 10)
    const plain = new seal.Plaintext()
    complexPairs(ctx).encode(x, new Float64Array(ctx.profile.slotCount), plain)
    const pair = new seal.Ciphertext()
    encryptor.encryptSymmetric(plain, pair)
    const halves = complexPairs(ctx).split(pair, galois)
    const out = new seal.Plaintext()
    const [gotX, gotY] = halves.map((ct) => {
      decryptor.decrypt(ct, out)
      return ctx.encoder.decodeFloat64(out) as Float64Array
    })
    for (let j = 0; j < ctx.profile.slotCount; j++) {
      expect(Math.abs(gotX![j]! - (x[j] ?? 0))).toBeLessThan(5e-6)
      expect(Math.abs(gotY![j]!)).toBeLessThan(5e-6)
    }
    for (const o of [...halves, pair, plain, out, encryptor, decryptor, galois, sk, keygen]) o.delete()
  })
})
