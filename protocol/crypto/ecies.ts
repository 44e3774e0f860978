import { gcm } from '@noble/ciphers/aes.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, randomBytes } from '@noble/hashes/utils.js'

/**
 * ECIES on secp256k1, the scheme `secp256k1-hkdf-sha256-aes256gcm` of the sealed results
 * (node/sdk/sealing.ts uses the same construction with its own info string):
 *
 *   z = x(e·R), k = HKDF-SHA256(ikm = z, salt = E || R, info), c = AES-256-GCM(k, nonce, aad)
 *
 * Callers may fix the ephemeral key and nonce: a DKG dealing must be re-sent byte-identical after a
 * restart, so its dealer derives both from its seed and the instance. The same (key, nonce) then only
 * ever encrypts the same plaintext, which GCM tolerates.
 */
export const ECIES_SCHEME = 'secp256k1-hkdf-sha256-aes256gcm'
export const ECIES_NONCE_BYTES = 12

export interface EciesParts {
  /** compressed ephemeral public key E, 33 bytes */
  readonly ephemeralPublicKey: Uint8Array
  readonly nonce: Uint8Array
  /** ciphertext with the 16-byte GCM tag appended */
  readonly ciphertext: Uint8Array
}

export interface EciesContext {
  /** separates this use of the ECDH secret from every other */
  readonly info: Uint8Array
  /** authenticated, not encrypted: binds the ciphertext to its context */
  readonly aad?: Uint8Array
}

export function eciesSeal(
  plaintext: Uint8Array,
  recipientPublicKey: Uint8Array,
  context: EciesContext,
  fixed: { ephemeralKey?: Uint8Array; nonce?: Uint8Array } = {},
): EciesParts {
  const ephemeral = fixed.ephemeralKey ?? secp256k1.utils.randomSecretKey()
  const ephemeralPublicKey = secp256k1.getPublicKey(ephemeral, true)
  const shared = secp256k1.getSharedSecret(ephemeral, recipientPublicKey, true)
  if (fixed.ephemeralKey === undefined) ephemeral.fill(0)
  const key = eciesKey(shared, ephemeralPublicKey, recipientPublicKey, context.info)
  const nonce = fixed.nonce ?? randomBytes(ECIES_NONCE_BYTES)
  return { ephemeralPublicKey, nonce, ciphertext: gcm(key, nonce, context.aad).encrypt(plaintext) }
}

/** The ECDH point e·R = r·E (compressed): what a recipient reveals to let anyone open one message. */
export const eciesSharedPoint = (recipientPrivateKey: Uint8Array, ephemeralPublicKey: Uint8Array) =>
  secp256k1.getSharedSecret(recipientPrivateKey, ephemeralPublicKey, true)

/** Opens with the shared point; throws (noble's error) on a wrong point or altered bytes. */
export function eciesOpenWithSharedPoint(
  parts: EciesParts,
  sharedPoint: Uint8Array,
  recipientPublicKey: Uint8Array,
  context: EciesContext,
): Uint8Array {
  const key = eciesKey(sharedPoint, parts.ephemeralPublicKey, recipientPublicKey, context.info)
  return gcm(key, parts.nonce, context.aad).decrypt(parts.ciphertext)
}

export const eciesOpen = (parts: EciesParts, recipientPrivateKey: Uint8Array, context: EciesContext) =>
  eciesOpenWithSharedPoint(
    parts,
    eciesSharedPoint(recipientPrivateKey, parts.ephemeralPublicKey),
    secp256k1.getPublicKey(recipientPrivateKey, true),
    context,
  )

function eciesKey(
  sharedPoint: Uint8Array,
  ephemeralPublic: Uint8Array,
  recipient: Uint8Array,
  info: Uint8Array,
) {
  // the compressed point's prefix byte is dropped: the shared secret is the x-coordinate
  return hkdf(sha256, sharedPoint.subarray(1), concatBytes(ephemeralPublic, recipient), info, 32)
}
