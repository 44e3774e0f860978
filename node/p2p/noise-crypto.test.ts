import { randomBytes } from 'node:crypto'
import { defaultCrypto, pureJsCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { keyedNoiseCrypto } from './noise-crypto.ts'

const bytes = (b: Uint8Array | Uint8ArrayList) => Buffer.from(b instanceof Uint8Array ? b : b.subarray())
const nonce = (n: number) => {
  const out = new Uint8Array(12)
  new DataView(out.buffer).setUint32(4, n, true)
  return out
}

describe("noise's crypto with kept key objects", () => {
  const keyed = keyedNoiseCrypto()
  const k = randomBytes(32)
  const ad = randomBytes(32)

  it("seals every frame size to the default's bytes, and opens them, as arrays and as lists", () => {
    for (const size of [0, 1, 1199, 1200, 1201, 4096, 65_519]) {
      const plaintext = randomBytes(size)
      const sealed = keyed.chaCha20Poly1305Encrypt(plaintext, nonce(size), ad, k)
      expect(bytes(sealed)).toEqual(
        bytes(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce(size), ad, k)),
      )
      // The reference all in JS agrees too: not only with a default that shares the node path.
      expect(bytes(sealed)).toEqual(
        bytes(pureJsCrypto.chaCha20Poly1305Encrypt(plaintext, nonce(size), ad, k)),
      )
      const listed = new Uint8ArrayList(plaintext.subarray(0, size >> 1), plaintext.subarray(size >> 1))
      expect(bytes(keyed.chaCha20Poly1305Encrypt(listed, nonce(size), ad, k))).toEqual(bytes(sealed))
      const sealedList = new Uint8ArrayList(bytes(sealed).subarray(0, 7), bytes(sealed).subarray(7))
      for (const input of [bytes(sealed), sealedList]) {
        expect(bytes(keyed.chaCha20Poly1305Decrypt(input, nonce(size), ad, k))).toEqual(plaintext)
      }
    }
  })

  it('refuses a frame altered in transit, sealed under another key or nonce', () => {
    const plaintext = randomBytes(5000)
    const sealed = bytes(keyed.chaCha20Poly1305Encrypt(plaintext, nonce(1), ad, k))
    const flipped = Buffer.from(sealed)
    flipped[100]! ^= 1
    expect(() => keyed.chaCha20Poly1305Decrypt(flipped, nonce(1), ad, k)).toThrow()
    expect(() => keyed.chaCha20Poly1305Decrypt(sealed, nonce(2), ad, k)).toThrow()
    expect(() => keyed.chaCha20Poly1305Decrypt(sealed, nonce(1), ad, randomBytes(32))).toThrow()
  })

  it('uses a key changed in place, never the one kept for the array', () => {
    const key = Buffer.from(randomBytes(32))
    const plaintext = randomBytes(3000)
    keyed.chaCha20Poly1305Encrypt(plaintext, nonce(1), ad, key)
    key.set(randomBytes(32))
    const sealed = keyed.chaCha20Poly1305Encrypt(plaintext, nonce(1), ad, key)
    expect(bytes(sealed)).toEqual(bytes(pureJsCrypto.chaCha20Poly1305Encrypt(plaintext, nonce(1), ad, key)))
  })
})
