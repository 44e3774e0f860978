import { z } from 'zod'
import { defineMessage } from '../codec.ts'
import { hex32Schema } from '../hex.ts'
import { uintSchema, versionSchema } from './primitives.ts'

export const MAX_BLOBS_PER_REQUEST = 16

export const blobRequestSchema = z.strictObject({
  version: versionSchema,
  blobIds: z.array(hex32Schema).min(1).max(MAX_BLOBS_PER_REQUEST),
})
export type BlobRequest = z.infer<typeof blobRequestSchema>
export const blobRequestCodec = defineMessage('BlobRequest', blobRequestSchema, 2048)

/**
 * One response header per requested id, in request order. For a found blob the raw bytes follow the
 * header on the stream as length-prefixed frames of at most 256 KiB adding up to exactly `size`
 * bytes (node/p2p/blob-protocol.ts); the receiver checks sha256(bytes) == blobId before using them.
 * Blobs stay out of JSON to avoid a 2x hex blow-up.
 */
export const blobResponseSchema = z.discriminatedUnion('status', [
  z.strictObject({
    version: versionSchema,
    blobId: hex32Schema,
    status: z.literal('found'),
    size: uintSchema.max(64 * 1024 * 1024),
  }),
  z.strictObject({ version: versionSchema, blobId: hex32Schema, status: z.literal('not-found') }),
  // Held, but not for this requester (a result bundle asked for by a peer outside the validator set).
  z.strictObject({ version: versionSchema, blobId: hex32Schema, status: z.literal('refused') }),
])
export type BlobResponse = z.infer<typeof blobResponseSchema>
export const blobResponseCodec = defineMessage('BlobResponse', blobResponseSchema, 256)
