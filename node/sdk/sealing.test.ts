import { describe, expect, it } from 'vitest'
import { sealedPayloadSchema } from '../../protocol/index.ts'
import { thrown } from '../../protocol/testing/thrown.ts'
import { ClientError } from './errors.ts'
import { generateSealingKey, SEALING_SCHEME, seal, unseal } from './sealing.ts'

const text = new TextEncoder().encode('{"mean_hr":73.4354}')

const unsealError = (run: () => unknown) => thrown(ClientError, run)

describe('result sealing (secp256k1-hkdf-sha256-aes256gcm)', () => {
  it('round-trips to the recipient, with a fresh ephemeral key and nonce each time', () => {
    const buyer = generateSealingKey()
    const a = seal(text, buyer.publicKey)
    const b = seal(text, buyer.publicKey)
    expect(sealedPayloadSchema.parse(a).scheme).toBe(SEALING_SCHEME)
    expect(a.ephemeralPublicKey).not.toBe(b.ephemeralPublicKey)
    expect(a.nonce).not.toBe(b.nonce)
    expect(unseal(a, buyer.privateKey)).toEqual(text)
    expect(unseal(b, buyer.privateKey)).toEqual(text)
    // 16-byte GCM tag appended
    expect((a.ciphertext.length - 2) / 2).toBe(text.length + 16)
  })

  it('refuses another key with UNSEAL_FAILED', () => {
    const sealed = seal(text, generateSealingKey().publicKey)
    expect(unsealError(() => unseal(sealed, generateSealingKey().privateKey)).code).toBe('UNSEAL_FAILED')
  })

  it('refuses a tampered ciphertext, nonce or ephemeral key', () => {
    const buyer = generateSealingKey()
    const sealed = seal(text, buyer.publicKey)
    const flip = (hex: `0x${string}`, at: number): `0x${string}` => {
      const digit = hex[at] === '0' ? '1' : '0'
      return `${hex.slice(0, at)}${digit}${hex.slice(at + 1)}` as `0x${string}`
    }
    const other = seal(text, buyer.publicKey)
    for (const tampered of [
      { ...sealed, ciphertext: flip(sealed.ciphertext, 10) },
      { ...sealed, ciphertext: flip(sealed.ciphertext, sealed.ciphertext.length - 1) },
      { ...sealed, nonce: flip(sealed.nonce, 5) },
      { ...sealed, ephemeralPublicKey: other.ephemeralPublicKey },
    ]) {
      expect(unsealError(() => unseal(tampered, buyer.privateKey)).code).toBe('UNSEAL_FAILED')
    }
  })
})
