import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'

type Bytes = Parameters<ICryptoInterface['chaCha20Poly1305Encrypt']>[0]

/**
 * From this many bytes noise's default ChaCha20-Poly1305 is node:crypto's; below, its wasm one,
 * which is faster on small frames (the library's own threshold, kept so only the key changes).
 */
const NODE_CIPHER_FROM = 1200
const AUTH_TAG_BYTES = 16

/**
 * A connection's cipher keys as node:crypto KeyObjects, made once per key. Given the raw bytes,
 * node:crypto checks and wraps the key again at every createCipheriv: half the cost of sealing a
 * frame of a few KB (11 against 24 µs here), and ~5% of a validator's main thread in a burst.
 * Kept by the key's array, which noise's cipher state keeps for the session; its bytes are compared
 * too, so a key changed in place is never used stale.
 */
class SecretKeys {
  readonly #keys = new WeakMap<Uint8Array, { readonly bytes: Buffer; readonly key: KeyObject }>()

  of(k: Uint8Array): KeyObject {
    const kept = this.#keys.get(k)
    if (kept?.bytes.equals(k)) return kept.key
    const bytes = Buffer.from(k)
    const key = createSecretKey(bytes)
    this.#keys.set(k, { bytes, key })
    return key
  }
}

const whole = (bytes: Bytes): Uint8Array => (bytes instanceof Uint8Array ? bytes : bytes.subarray())

/** noise's default crypto (`@chainsafe/libp2p-noise/crypto`), its large frames sealed under a kept key object. */
export function keyedNoiseCrypto(): ICryptoInterface {
  const keys = new SecretKeys()
  return {
    ...defaultCrypto,
    chaCha20Poly1305Encrypt(plaintext, nonce, ad, k) {
      if (plaintext.byteLength < NODE_CIPHER_FROM)
        return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
      const text = whole(plaintext)
      const cipher = createCipheriv('chacha20-poly1305', keys.of(k), nonce, { authTagLength: AUTH_TAG_BYTES })
      cipher.setAAD(ad, { plaintextLength: text.byteLength })
      const body = cipher.update(text)
      const final = cipher.final()
      return Buffer.concat([body, final, cipher.getAuthTag()])
    },
    chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst) {
      if (ciphertext.byteLength < NODE_CIPHER_FROM)
        return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
      const sealed = whole(ciphertext)
      const text = sealed.subarray(0, sealed.byteLength - AUTH_TAG_BYTES)
      const decipher = createDecipheriv('chacha20-poly1305', keys.of(k), nonce, {
        authTagLength: AUTH_TAG_BYTES,
      })
      decipher.setAAD(ad, { plaintextLength: text.byteLength })
      decipher.setAuthTag(sealed.subarray(sealed.byteLength - AUTH_TAG_BYTES))
      const body = decipher.update(text)
      // Throws on a tag that does not match: a frame altered in transit or sealed under another key.
      const final = decipher.final()
      return final.byteLength > 0 ? Buffer.concat([body, final]) : body
    },
  }
}
