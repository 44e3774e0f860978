import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import { EncodeError } from '../errors.ts'
import { hex32Schema } from '../hex.ts'
import { blockCodec, blockSchema } from './block.ts'
import { commitCertificateCodec, commitCertificateSchema } from './consensus.ts'
import { versionSchema } from './primitives.ts'

/**
 * A node's periodic announcement of its decided head. `head` is the blob id of
 * its latest DecidedRecord; a node behind fetches records back from it. `at`
 * (ms) makes each announcement distinct for gossip's de-duplication.
 */
export const statusMessageSchema = z.strictObject({
  version: versionSchema,
  height: z
    .int()
    .min(0)
    .max(2 ** 53 - 1),
  head: hex32Schema.nullable(),
  at: z.int().min(0),
})
export type StatusMessage = z.infer<typeof statusMessageSchema>
export const statusMessageCodec = defineMessage('Status', statusMessageSchema, 256)

/**
 * A decided block with the precommits that decided it, linked to the
 * previous record by blob id: a chain any peer can serve and anyone can
 * check against the validator set. Stored and served as its canonical
 * encoding, so its blob id is the sha256 of `decidedRecordCodec.encode`.
 */
export const decidedRecordSchema = z.strictObject({
  version: versionSchema,
  block: blockSchema,
  certificate: commitCertificateSchema,
  prev: hex32Schema.nullable(),
})
export type DecidedRecord = z.infer<typeof decidedRecordSchema>
export const decidedRecordCodec = defineMessage(
  'DecidedRecord',
  decidedRecordSchema,
  600 * 1024,
  undefined,
  (record) => {
    blockCodec.adopt(record.block)
    commitCertificateCodec.adopt(record.certificate)
  },
)

/**
 * decidedRecordCodec.encode of a decided block's record, without walking the block again when the
 * block codec already checked it: every node's decided block came through a proposal's decode or
 * its proposer's check, and a burst's blocks carry tens of requests and result certificates.
 */
export function encodeDecidedRecord(record: DecidedRecord): Uint8Array {
  if (!blockCodec.knows(record.block)) return decidedRecordCodec.encode(record)
  const { block: _checked, ...rest } = record
  const parsed = decidedRecordRest.safeParse(rest)
  if (!parsed.success)
    throw new EncodeError('SCHEMA', `DecidedRecord: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
  const bytes = canonicalBytes(record)
  if (bytes.length > decidedRecordCodec.maxBytes)
    throw new EncodeError(
      'OVERSIZED',
      `DecidedRecord: ${bytes.length} bytes exceeds ${decidedRecordCodec.maxBytes}`,
    )
  return bytes
}

const decidedRecordRest = decidedRecordSchema.omit({ block: true })
