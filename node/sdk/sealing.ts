import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js'
import { compressedPublicKeySchema, type Hex, type SealedPayload } from '../../protocol/index.ts'
import { ClientError } from './errors.ts'
import { type SealingEngine, sealingEngine } from './sealing-engine.ts'

/**
 * The result sealing scheme `secp256k1-hkdf-sha256-aes256gcm` (ECIES):
 *
 *   e, E = fresh ephemeral key pair per seal (E compressed, 33 bytes)
 *   R    = the buyer's sealingPublicKey (compressed, 33 bytes)
 *   z    = x-coordinate of e·R (32 bytes)
 *   k    = HKDF-SHA256(ikm = z, salt = E || R, info = SEALING_INFO, 32 bytes)
 *   c    = AES-256-GCM(k, nonce = 12 random bytes, no AAD) of the plaintext, tag appended
 *
 * The salt binds the key to both public keys, so a ciphertext cannot be
 * replayed under another ephemeral key or recipient; the info string
 * separates this use of the ECDH secret from any other.
 */
export const SEALING_SCHEME = 'secp256k1-hkdf-sha256-aes256gcm'
export const SEALING_INFO = new TextEncoder().encode(`tcf-sealed-result/v1 ${SEALING_SCHEME}`)

const NONCE_BYTES = 12

export interface SealingKeyPair {
  /** 32-byte secret scalar: the only thing that opens a result sealed to publicKey */
  readonly privateKey: Uint8Array
  /** compressed secp256k1 point, lowercase 0x hex: the request's sealingPublicKey */
  readonly publicKey: Hex
}

export function generateSealingKey(): SealingKeyPair {
  const privateKey = secp256k1.utils.randomSecretKey()
  return { privateKey, publicKey: sealingPublicKeyOf(privateKey) }
}

export const sealingPublicKeyOf = (privateKey: Uint8Array, engine: SealingEngine = sealingEngine()): Hex =>
  toHex(engine.publicKeyOf(privateKey))

/**
 * Whether `publicKey` is a point results can be sealed to: the request schema checks only its
 * form, and a key with no point behind it would fail every seal, after the decryption.
 */
export function isSealingPublicKey(publicKey: string, engine: SealingEngine = sealingEngine()): boolean {
  return compressedPublicKeySchema.safeParse(publicKey).success && engine.isPoint(fromHex(publicKey))
}

/** Seals to `recipientPublicKey`; a key that is no point of the curve is SEALING_KEY_INVALID. */
export function seal(
  plaintext: Uint8Array,
  recipientPublicKey: Hex,
  engine: SealingEngine = sealingEngine(),
): SealedPayload {
  const recipient = fromHex(recipientPublicKey)
  const ephemeral = engine.ephemeral(recipient)
  const key = deriveKey(engine, ephemeral.sharedX, ephemeral.publicKey, recipient)
  const nonce = randomBytes(NONCE_BYTES)
  return {
    scheme: SEALING_SCHEME,
    ephemeralPublicKey: toHex(ephemeral.publicKey),
    nonce: toHex(nonce),
    ciphertext: toHex(engine.gcmSeal(key, nonce, plaintext)),
  }
}

/** Opens a payload sealed to privateKey's public key; anything else (wrong key, tampering) is UNSEAL_FAILED. */
export function unseal(
  payload: SealedPayload,
  privateKey: Uint8Array,
  engine: SealingEngine = sealingEngine(),
): Uint8Array {
  try {
    if (payload.scheme !== SEALING_SCHEME)
      throw new ClientError('UNSEAL_FAILED', `unknown scheme ${String(payload.scheme)}`)
    const ephemeralPublic = fromHex(payload.ephemeralPublicKey)
    const recipient = engine.publicKeyOf(privateKey)
    const key = deriveKey(engine, engine.sharedX(privateKey, ephemeralPublic), ephemeralPublic, recipient)
    return engine.gcmOpen(key, fromHex(payload.nonce), fromHex(payload.ciphertext))
  } catch (cause) {
    throw new ClientError(
      'UNSEAL_FAILED',
      'cannot open the sealed result: not sealed to this key, or altered',
      {
        cause,
      },
    )
  }
}

/** The shared secret is the x-coordinate of the ECDH point. */
function deriveKey(
  engine: SealingEngine,
  sharedX: Uint8Array,
  ephemeralPublic: Uint8Array,
  recipient: Uint8Array,
): Uint8Array {
  const salt = new Uint8Array(ephemeralPublic.length + recipient.length)
  salt.set(ephemeralPublic, 0)
  salt.set(recipient, ephemeralPublic.length)
  return engine.hkdfSha256(sharedX, salt, SEALING_INFO, 32)
}

// @noble rather than Buffer: the web app unseals results in the browser, where Buffer does not exist.
const toHex = (bytes: Uint8Array): Hex => `0x${bytesToHex(bytes)}`
const fromHex = (hex: string): Uint8Array => hexToBytes(hex.slice(2))
