import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import {
  addressSchema,
  compressedPublicKeySchema,
  hex32Schema,
  keccak256,
  signatureSchema,
  weiSchema,
} from '../hex.ts'
import { heightSchema, versionSchema } from './primitives.ts'

/**
 * The algorithm spec is the sandbox's language; protocol only bounds it as JSON and binds it by hash.
 * A request may carry the spec inline or only its hash when the spec is already known to the network.
 */
export const algorithmSchema = z
  .strictObject({ specHash: hex32Schema, spec: z.json().optional() })
  .refine((a) => a.spec === undefined || specHash(a.spec) === a.specHash, {
    message: 'specHash does not hash spec',
    path: ['specHash'],
  })

/** keccak256 of the canonical spec. */
export const specHash = (spec: unknown) => keccak256(canonicalBytes(spec))

export const jobRequestSchema = z.strictObject({
  version: versionSchema,
  vaultId: hex32Schema,
  algorithm: algorithmSchema,
  buyer: addressSchema,
  maxPrice: weiSchema,
  /** Last height at which the job may still be certified and released; after it the job fails. */
  deadline: heightSchema,
  /** Makes two otherwise equal requests two jobs. */
  nonce: hex32Schema,
  /** Compressed secp256k1 key the vault owner seals the result to. */
  sealingPublicKey: compressedPublicKeySchema,
})
export type JobRequest = z.infer<typeof jobRequestSchema>

/** The job id is the request's protocol id: keccak256 of its canonical bytes (the signature is not part of it). */
export const jobRequestCodec = defineMessage('JobRequest', jobRequestSchema, 16 * 1024)

export const signedJobRequestSchema = z.strictObject({
  version: versionSchema,
  request: jobRequestSchema,
  /** EIP-712 JobRequest signature by request.buyer. */
  signature: signatureSchema,
})
export type SignedJobRequest = z.infer<typeof signedJobRequestSchema>
export const signedJobRequestCodec = defineMessage(
  'SignedJobRequest',
  signedJobRequestSchema,
  16 * 1024 + 256,
)

export const jobIdOf = (request: JobRequest) => jobRequestCodec.id(request)
