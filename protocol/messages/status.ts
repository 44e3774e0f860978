import { z } from 'zod'
import { defineMessage } from '../codec.ts'
import { hex32Schema } from '../hex.ts'
import { blockSchema } from './block.ts'
import { commitCertificateSchema } from './consensus.ts'
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
export const decidedRecordCodec = defineMessage('DecidedRecord', decidedRecordSchema, 600 * 1024)
