import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import { hexBytesSchema, keccak256 } from '../hex.ts'
import { versionSchema } from './primitives.ts'
import { releaseSchema } from './release.ts'

/** Largest sealed plaintext: rounded aggregates, never ciphertexts. */
const MAX_SEALED_BYTES = 64 * 1024

/** ECIES to the buyer's sealingPublicKey: ECDH on secp256k1, HKDF-SHA256, AES-256-GCM. */
export const sealedPayloadSchema = z.strictObject({
  scheme: z.literal('secp256k1-hkdf-sha256-aes256gcm'),
  ephemeralPublicKey: z.custom<`0x${string}`>(
    (v) => typeof v === 'string' && /^0x0[23][0-9a-f]{64}$/.test(v),
    'expected a compressed secp256k1 public key',
  ),
  nonce: z.custom<`0x${string}`>(
    (v) => typeof v === 'string' && /^0x[0-9a-f]{24}$/.test(v),
    'expected 12 bytes',
  ),
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
