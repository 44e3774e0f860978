import { secp256k1 } from '@noble/curves/secp256k1.js'
import { computeAddress } from 'ethers'
import { describe, expect, it } from 'vitest'
import { fromHex, type Hex, type Hex32, toHex } from '../hex.ts'
import { addressOfPrivateKey, recoverAddress, signDigest } from './ecdsa.ts'

const key = toHex(secp256k1.utils.randomSecretKey()) as Hex32
const digest = toHex(secp256k1.utils.randomSecretKey()) as Hex32
const other = toHex(secp256k1.utils.randomSecretKey()) as Hex32

/** The same signature with its last byte (v) or an s-byte changed. */
function tampered(signature: Hex, at: number, value: number): Hex {
  const bytes = fromHex(signature)
  bytes[at] = value
  return toHex(bytes)
}

describe('recoverAddress, remembered', () => {
  it('gives the signer again, and a remembered signature vouches for nothing else', () => {
    const signature = signDigest(key, digest)
    const signer = addressOfPrivateKey(key)
    expect(recoverAddress(digest, signature)).toBe(signer)
    expect(recoverAddress(digest, signature)).toBe(signer)
    // The attacker's variants of a signature the node has seen: another digest, the other
    // recovery id, a changed s, the high-s twin. None may come back as the remembered signer.
    expect(recoverAddress(other, signature)).not.toBe(signer)
    const v = fromHex(signature)[64]!
    expect(recoverAddress(digest, tampered(signature, 64, v === 27 ? 28 : 27))).not.toBe(signer)
    expect(recoverAddress(digest, tampered(signature, 40, fromHex(signature)[40]! ^ 1))).not.toBe(signer)
    const parsed = secp256k1.Signature.fromBytes(fromHex(signature).subarray(0, 64), 'compact')
    const n = secp256k1.Point.CURVE().n
    const twin = new secp256k1.Signature(parsed.r, n - parsed.s).toBytes('compact')
    expect(recoverAddress(digest, `${toHex(twin)}${signature.slice(-2)}` as Hex)).toBeUndefined()
  })

  it('refuses malformed input before it is remembered, so no split of a key can alias another', () => {
    const signature = signDigest(key, digest)
    expect(recoverAddress(digest, signature)).toBe(addressOfPrivateKey(key))
    // Moving characters between the digest and the signature spells the same concatenation.
    const shifted = {
      digest: `${digest}${signature.slice(2, 4)}` as Hex32,
      signature: `0x${signature.slice(4)}` as Hex,
    }
    expect(recoverAddress(shifted.digest, shifted.signature)).toBeUndefined()
  })

  it('stays right past its bound', () => {
    const signer = addressOfPrivateKey(key)
    const first = signDigest(key, digest)
    expect(recoverAddress(digest, first)).toBe(signer)
    for (let i = 0; i < 4200; i++) recoverAddress(digest, `0x${i.toString(16).padStart(130, '0')}` as Hex)
    expect(recoverAddress(digest, first)).toBe(signer)
  })
})

describe('addressOfPrivateKey, remembered', () => {
  it("gives each key its own address, from memory or not, past the memory's bound", () => {
    const keys = Array.from({ length: 40 }, () => toHex(secp256k1.utils.randomSecretKey()) as Hex32)
    const fresh = keys.map((k) => computeAddress(k).toLowerCase())
    for (let round = 0; round < 2; round++) {
      expect(keys.map(addressOfPrivateKey)).toEqual(fresh)
      expect(keys.toReversed().map(addressOfPrivateKey)).toEqual(fresh.toReversed())
    }
    expect(() => addressOfPrivateKey(`0x${'00'.repeat(32)}`)).toThrow()
  })
})
