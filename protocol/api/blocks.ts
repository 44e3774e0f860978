import { z } from 'zod'
import { hex32Schema } from '../hex.ts'
import { blockCodec } from '../messages/block.ts'
import { commitCertificateCodec } from '../messages/consensus.ts'

/** A decided block with the precommits that decided it: what a node stores at a height and serves. */
export const decidedBlockSchema = z.strictObject({
  blockHash: hex32Schema,
  block: blockCodec.schema,
  certificate: commitCertificateCodec.schema,
})
export type DecidedBlock = z.infer<typeof decidedBlockSchema>
