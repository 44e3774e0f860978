// Schemas of what the store keeps on disk besides job records (protocol/api/jobRecord.ts). Every value is
// validated on the way in (INVALID_RECORD) and on the way out (CORRUPT_RECORD).
import { z } from 'zod'
import type { WalEntry } from '../../consensus/index.ts'
import {
  addressSchema,
  type DecidedBlock,
  decidedBlockSchema,
  heightSchema,
  hex32Schema,
  hexBytesSchema,
  vaultManifestCodec,
} from '../../protocol/index.ts'

/** A decided block as stored at its height is what the API serves there (protocol/api). */
export const storedBlockSchema = decidedBlockSchema
export type StoredBlock = DecidedBlock

/** A vault's manifest plus what this node knows locally about it. */
export const storedVaultSchema = z.strictObject({
  manifest: vaultManifestCodec.schema,
  /** When this node first stored the manifest (ISO 8601 UTC). */
  receivedAt: z.iso.datetime(),
})
export type StoredVault = z.infer<typeof storedVaultSchema>

/** A blob uploaded through the API: charged to its owner's quota until the blob is collected. */
export const storedUploadSchema = z.strictObject({
  blobId: hex32Schema,
  owner: addressSchema,
  /** the vault the owner uploaded it for */
  vaultId: hex32Schema,
  bytes: z.int().min(0),
  /** when it was stored (ISO 8601 UTC) */
  at: z.iso.datetime(),
})
export type StoredUpload = z.infer<typeof storedUploadSchema>

const roundSchema = z.int().min(0)
/** Signatures as the consensus signer made them; the WAL keeps them as is and only bounds their size. */
const walSignatureSchema = hexBytesSchema(256, 1)
const roundValueSchema = z.strictObject({ round: roundSchema, valueId: hex32Schema }).nullable()

const walEntrySchemaShape = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('proposal'),
    signed: z.strictObject({
      proposal: z.strictObject({
        height: heightSchema,
        round: roundSchema,
        valueId: hex32Schema,
        validRound: z.int().min(-1),
        proposer: addressSchema,
      }),
      signature: walSignatureSchema,
    }),
  }),
  z.strictObject({
    kind: z.literal('vote'),
    signed: z.strictObject({
      vote: z.strictObject({
        type: z.enum(['prevote', 'precommit']),
        height: heightSchema,
        round: roundSchema,
        valueId: hex32Schema.nullable(),
        validator: addressSchema,
      }),
      signature: walSignatureSchema,
    }),
  }),
  z.strictObject({
    kind: z.literal('lock'),
    height: heightSchema,
    locked: roundValueSchema,
    valid: roundValueSchema,
  }),
])

/** Consensus's WalEntry; the annotation makes the compiler check that the schema matches it. */
export const walEntrySchema: z.ZodType<WalEntry> = walEntrySchemaShape
