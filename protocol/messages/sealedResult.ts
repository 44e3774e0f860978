import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import { compressedPublicKeySchema, fixedHexSchema, hexBytesSchema, keccak256 } from '../hex.ts'
import { versionSchema } from './primitives.ts'
import { releaseSchema } from './release.ts'

/**
 * Largest sealed plaintext: rounded aggregates, a vault's output shares, or a member's one-limb
 * decryption share of a pool's aggregate (65,546 bytes at N = 8192), never ciphertexts.
 */
const MAX_SEALED_BYTES = 96 * 1024

/** ECIES to the buyer's sealingPublicKey: ECDH on secp256k1, HKDF-SHA256, AES-256-GCM. */
export const sealedPayloadSchema = z.strictObject({
  scheme: z.literal('secp256k1-hkdf-sha256-aes256gcm'),
  ephemeralPublicKey: compressedPublicKeySchema,
  /** AES-GCM's 12-byte nonce */
  nonce: fixedHexSchema(12),
  ciphertext: hexBytesSchema(MAX_SEALED_BYTES),
})
export type SealedPayload = z.infer<typeof sealedPayloadSchema>

export const sealedHashOf = (sealed: SealedPayload) => keccak256(canonicalBytes(sealed))

/** What the vault owner sends the buyer: the result sealed to the buyer, plus the signed release. */
export const sealedResultSchema = z.strictObject({
  version: versionSchema,
  release: releaseSchema,
  sealed: sealedPayloadSchema,
})
export type SealedResult = z.infer<typeof sealedResultSchema>

export const sealedResultCodec = defineMessage(
  'SealedResult',
  sealedResultSchema,
  2 * MAX_SEALED_BYTES + 2048,
  (r) =>
    sealedHashOf(r.sealed) === r.release.sealedHash
      ? undefined
      : { path: ['release', 'sealedHash'], detail: 'does not hash the sealed payload' },
)
