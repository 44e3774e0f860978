import { z } from 'zod'
import { defineMessage } from '../codec.ts'
import { addressSchema, hex32Schema, signatureSchema } from '../hex.ts'
import { MAX_VALIDATORS, validatorSignatureSchema } from './attestation.ts'
import { blockCodec, blockSchema } from './block.ts'
import { epochSchema, heightSchema, roundSchema, versionSchema } from './primitives.ts'

export const voteSchema = z.strictObject({
  type: z.enum(['prevote', 'precommit']),
  height: heightSchema,
  round: roundSchema,
  /** Block hash voted for; null is a nil vote. */
  valueId: hex32Schema.nullable(),
  validator: addressSchema,
})

export const signedVoteSchema = z.strictObject({ vote: voteSchema, signature: signatureSchema })

/**
 * When a copy of a message was sent again (ms since 1970), outside what is signed. Gossip ids are
 * content hashes, kept for two minutes: an identical copy is dropped as a duplicate everywhere,
 * including at a peer that missed the first one. The stamp makes a re-send new bytes.
 */
const resentAtSchema = z.int().min(1).max(Number.MAX_SAFE_INTEGER).optional()

/** A vote on the wire: the consensus SignedVote plus the epoch its signature was made under. */
export const voteMessageSchema = z.strictObject({
  version: versionSchema,
  epoch: epochSchema,
  vote: voteSchema,
  signature: signatureSchema,
  resentAt: resentAtSchema,
})
export type VoteMessage = z.infer<typeof voteMessageSchema>
export const voteMessageCodec = defineMessage('Vote', voteMessageSchema, 512)

export const proposalSchema = z.strictObject({
  height: heightSchema,
  round: roundSchema,
  valueId: hex32Schema,
  validRound: z
    .int()
    .min(-1)
    .max(2 ** 31 - 1),
  proposer: addressSchema,
})

/** A proposal carries its block; valueId must be that block's hash (checked by the receiver). */
export const proposalMessageSchema = z.strictObject({
  version: versionSchema,
  epoch: epochSchema,
  proposal: proposalSchema,
  signature: signatureSchema,
  block: blockSchema,
  resentAt: resentAtSchema,
})
export type ProposalMessage = z.infer<typeof proposalMessageSchema>
export const MAX_BLOCK_BYTES = 512 * 1024
export const proposalMessageCodec = defineMessage(
  'Proposal',
  proposalMessageSchema,
  MAX_BLOCK_BYTES + 1024,
  undefined,
  (proposal) => blockCodec.adopt(proposal.block),
)

/** The precommits that decided blockHash: what the Anchor contract verifies. */
export const commitCertificateSchema = z.strictObject({
  version: versionSchema,
  epoch: epochSchema,
  height: heightSchema,
  round: roundSchema,
  blockHash: hex32Schema,
  precommits: z.array(validatorSignatureSchema).min(1).max(MAX_VALIDATORS),
})
export type CommitCertificate = z.infer<typeof commitCertificateSchema>
export const commitCertificateCodec = defineMessage('CommitCertificate', commitCertificateSchema, 32 * 1024)

/** Two signed votes by one validator for one (epoch, height, round, type) and different blocks. */
export const duplicateVoteEvidenceSchema = z.strictObject({
  version: versionSchema,
  epoch: epochSchema,
  first: signedVoteSchema,
  second: signedVoteSchema,
})
export type DuplicateVoteEvidence = z.infer<typeof duplicateVoteEvidenceSchema>
export const duplicateVoteEvidenceCodec = defineMessage(
  'DuplicateVoteEvidence',
  duplicateVoteEvidenceSchema,
  1024,
)
