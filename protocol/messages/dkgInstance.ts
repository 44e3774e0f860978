import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import type { ContentCheck } from '../codec.ts'
import { compressedPublicKeySchema, type Hex32, hex32Schema, hexBytesSchema, keccak256 } from '../hex.ts'
import { MAX_VALIDATORS } from './attestation.ts'
import { epochSchema, roundSchema, uintSchema } from './primitives.ts'

/**
 * Which run of the committee-key protocol a DKG message belongs to. instanceId hashes the other
 * fields, so a share, commitment or signature made for one epoch, set or attempt (`round`: a DKG
 * restarted after exclusions is a new round) is refused in every other.
 */
export const dkgInstanceSchema = z.strictObject({
  epoch: epochSchema,
  /** ValidatorRegistry.epochSetHash of the epoch: the committee, in set order. */
  setHash: hex32Schema,
  round: roundSchema,
  instanceId: hex32Schema,
})
export type DkgInstance = z.infer<typeof dkgInstanceSchema>

export const dkgInstanceId = (epoch: number, setHash: Hex32, round: number): Hex32 =>
  keccak256(canonicalBytes({ protocol: 'tcf/dkg/v1', epoch, setHash, round }))

export const dkgInstance = (epoch: number, setHash: Hex32, round: number): DkgInstance => ({
  epoch,
  setHash,
  round,
  instanceId: dkgInstanceId(epoch, setHash, round),
})

/** A member's 1-based position in the epoch's set (the Shamir evaluation point). */
export const memberIndexSchema = z.int().min(1).max(MAX_VALIDATORS)

/**
 * Largest blob a DKG message or key may reference: the blob protocol's own bound. The collective
 * Galois keys of ckks-8192 alone are 18 MiB uncompressed (12 elements of 3 components of 512 KiB).
 */
export const MAX_DKG_BLOB_BYTES = 64 * 1024 * 1024

/** A large payload sent as a blob (protocol/messages/blob.ts): sha256 of its bytes and its size. */
export const dkgBlobRefSchema = z.strictObject({
  blobId: hex32Schema,
  size: uintSchema.max(MAX_DKG_BLOB_BYTES),
})
export type DkgBlobRef = z.infer<typeof dkgBlobRefSchema>

/** A compressed secp256k1 point. */
export const compressedPointSchema = compressedPublicKeySchema
export const scalarSchema = hexBytesSchema(32).refine((v) => v.length === 66, 'expected 32 bytes')

/** The instance id must be the hash of the instance's other fields. */
export const instanceIdCheck =
  <T extends { instance: DkgInstance }>(path: (string | number)[] = ['instance']): ContentCheck<T> =>
  (m) => {
    const { epoch, setHash, round, instanceId } = m.instance
    return dkgInstanceId(epoch, setHash, round) === instanceId
      ? undefined
      : { path: [...path, 'instanceId'], detail: 'does not hash epoch, setHash and round' }
  }
