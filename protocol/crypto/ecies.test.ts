import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import { proveDleq, verifyDleq } from './dleq.ts'
import { eciesOpen, eciesOpenWithSharedPoint, eciesSeal, eciesSharedPoint } from './ecies.ts'

const te = new TextEncoder()
const context = { info: te.encode('test/v1'), aad: te.encode('instance 7') }
const keyPair = () => {
  const privateKey = secp256k1.utils.randomSecretKey()
  return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, true) }
}

describe('ECIES with a revealed shared point', () => {
  it('opens for the recipient and, with the point, for anyone; not under another context', () => {
    const bob = keyPair()
    const sealed = eciesSeal(te.encode('share'), bob.publicKey, context)
    expect(new TextDecoder().decode(eciesOpen(sealed, bob.privateKey, context))).toBe('share')
    const point = eciesSharedPoint(bob.privateKey, sealed.ephemeralPublicKey)
    expect(eciesOpenWithSharedPoint(sealed, point, bob.publicKey, context)).toEqual(te.encode('share'))
    expect(() => eciesOpen(sealed, bob.privateKey, { ...context, aad: te.encode('instance 8') })).toThrow()
    expect(() => eciesOpen(sealed, keyPair().privateKey, context)).toThrow()
  })

  it('is byte-identical when the ephemeral key and nonce are fixed', () => {
    const bob = keyPair()
    const fixed = { ephemeralKey: secp256k1.utils.randomSecretKey(), nonce: new Uint8Array(12).fill(7) }
    const a = eciesSeal(te.encode('share'), bob.publicKey, context, fixed)
    const b = eciesSeal(te.encode('share'), bob.publicKey, context, fixed)
    expect(a).toEqual(b)
  })
})

describe('DLEQ proof of the shared point', () => {
  it("convinces a verifier of the recipient's point and no other", () => {
    const bob = keyPair()
    const E = keyPair().publicKey
    const { point, proof } = proveDleq(bob.privateKey, E)
    expect(point).toEqual(eciesSharedPoint(bob.privateKey, E))
    expect(verifyDleq(bob.publicKey, E, point, proof)).toBe(true)
    // a recipient claiming some other point (one that would open a ciphertext to another plaintext)
    const other = keyPair().publicKey
    expect(verifyDleq(bob.publicKey, E, other, proof)).toBe(false)
    // a proof made with another secret for the recipient's public key
    const mallory = proveDleq(keyPair().privateKey, E)
    expect(verifyDleq(bob.publicKey, E, mallory.point, mallory.proof)).toBe(false)
    expect(verifyDleq(bob.publicKey, E, point, { c: proof.c, s: new Uint8Array(32) })).toBe(false)
    expect(verifyDleq(bob.publicKey, E, new Uint8Array(33), proof)).toBe(false)
  })
})
