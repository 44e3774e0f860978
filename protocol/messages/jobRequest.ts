import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import {
  addressSchema,
  compressedPublicKeySchema,
  type Hex32,
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
  .refine((a) => a.spec === undefined || specHashOfJson(a.spec) === a.specHash, {
    message: 'specHash does not hash spec',
    path: ['specHash'],
  })

/** keccak256 of the canonical spec. */
export const specHash = (spec: unknown) => keccak256(canonicalBytes(spec))

/**
 * Hashes of specs seen lately, by their JSON text. Every parse of a request checks its spec's hash
 * (each gossip, API call and stored record read: tens of times per job on a validator), and the
 * canonical form and keccak in JS are ~0.4 ms of a ~1 KB spec against ~3 µs for JSON.stringify.
 * Only for values z.json() accepted: for JSON values, equal JSON text means equal content (key order
 * aside, which only misses), hence the same canonical bytes; a flood of distinct specs only evicts.
 */
const SPEC_HASHES_MAX = 512
const specHashes = new Map<string, Hex32>()

function specHashOfJson(spec: unknown): Hex32 {
  const text = JSON.stringify(spec)
  let hash = specHashes.get(text)
  if (hash === undefined) {
    hash = specHash(spec)
    specHashes.set(text, hash)
    if (specHashes.size > SPEC_HASHES_MAX) specHashes.delete(specHashes.keys().next().value as string)
  }
  return hash
}

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
  undefined,
  (signed) => jobRequestCodec.adopt(signed.request),
)

/**
 * Ids of requests this process already named, by object: one request is named at its gossip, its
 * admission, each block that carries it, its records, its attestations. Requests are parsed data
 * and never mutated; a request parsed again is a new object and is hashed again.
 */
const jobIds = new WeakMap<JobRequest, Hex32>()

export function jobIdOf(request: JobRequest): Hex32 {
  let id = jobIds.get(request)
  if (id === undefined) {
    id = jobRequestCodec.id(request)
    jobIds.set(request, id)
  }
  return id
}

/**
 * The id of a request a schema has just accepted, remembered by its JSON text: a node's job
 * records are read and checked (their id against their request) at every stage a job passes, each
 * read a new object. Only for parsed JSON data, where equal JSON text is equal content (key order
 * aside, which only misses); bounded, so a flood of requests only evicts.
 */
const JOB_IDS_BY_TEXT_MAX = 4096
const jobIdsByText = new Map<string, Hex32>()

export function jobIdOfParsed(request: JobRequest): Hex32 {
  const named = jobIds.get(request)
  if (named !== undefined) return named
  const text = JSON.stringify(request)
  let id = jobIdsByText.get(text)
  if (id === undefined) {
    id = jobIdOf(request)
    jobIdsByText.set(text, id)
    if (jobIdsByText.size > JOB_IDS_BY_TEXT_MAX)
      jobIdsByText.delete(jobIdsByText.keys().next().value as string)
  }
  return id
}
