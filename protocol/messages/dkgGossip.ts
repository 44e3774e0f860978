import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage, type MessageCodec } from '../codec.ts'
import { DecodeError } from '../errors.ts'
import type { Hex32 } from '../hex.ts'
import { type CollectiveKeySignature, collectiveKeySignatureCodec } from './collectiveKey.ts'
import { type DkgCommitments, dkgCommitmentsCodec } from './dkgCommitments.ts'
import { DKG_COMPLAINT_MAX_BYTES, type DkgComplaint, dkgComplaintCodec } from './dkgComplaint.ts'
import { type DkgDealing, dkgDealingCodec } from './dkgDealing.ts'
import { type DkgRoundShare, dkgRoundShareCodec } from './dkgRoundShare.ts'
import { uintSchema, versionSchema } from './primitives.ts'

/** The signed DKG messages, by the kind their codecs (and EIP-712 signatures) name. */
export interface DkgBodies {
  readonly DkgCommitments: DkgCommitments
  readonly DkgDealing: DkgDealing
  readonly DkgRoundShare: DkgRoundShare
  readonly DkgComplaint: DkgComplaint
  readonly CollectiveKeySignature: CollectiveKeySignature
}
export type DkgBodyKind = keyof DkgBodies

export const DKG_BODY_CODECS: { readonly [K in DkgBodyKind]: MessageCodec<DkgBodies[K]> } = {
  DkgCommitments: dkgCommitmentsCodec,
  DkgDealing: dkgDealingCodec,
  DkgRoundShare: dkgRoundShareCodec,
  DkgComplaint: dkgComplaintCodec,
  CollectiveKeySignature: collectiveKeySignatureCodec,
}

const body = <K extends DkgBodyKind>(kind: K) =>
  z.strictObject({ kind: z.literal(kind), body: DKG_BODY_CODECS[kind].schema })

/** Most a re-send counter may say: a member re-sends every few seconds while an instance is open. */
export const MAX_DKG_RESEND = 1_000_000

/**
 * What the `dkg` gossip topic carries: one signed DKG message and how many times its author has
 * re-sent it. Gossip ids are content hashes, so re-publishing the same bytes is a no-op until every
 * peer's seen-cache forgets them; a member that restarted, or a peer that missed a message, gets it
 * again through a new envelope around the same, byte-identical signed body. Receivers key what they
 * hold by the body alone and ignore an envelope whose body they already have.
 */
export const dkgGossipSchema = z.strictObject({
  version: versionSchema,
  resend: uintSchema.max(MAX_DKG_RESEND),
  message: z.discriminatedUnion('kind', [
    body('DkgCommitments'),
    body('DkgDealing'),
    body('DkgRoundShare'),
    body('DkgComplaint'),
    body('CollectiveKeySignature'),
  ]),
})
export type DkgGossip = z.infer<typeof dkgGossipSchema>
export type DkgGossipBody = DkgGossip['message']

/** The largest body (a complaint) and the envelope. */
export const DKG_GOSSIP_MAX_BYTES = DKG_COMPLAINT_MAX_BYTES + 1024

export const dkgGossipCodec = defineMessage('DkgGossip', dkgGossipSchema, DKG_GOSSIP_MAX_BYTES, (m) => {
  // The body's own content checks (instance id hashes, key hash, complaint shape), by its codec.
  const codec = DKG_BODY_CODECS[m.message.kind] as MessageCodec<unknown>
  try {
    codec.decode(canonicalBytes(m.message.body))
    return undefined
  } catch (error) {
    if (error instanceof DecodeError)
      return { path: ['message', 'body', ...error.path], detail: error.message }
    throw error
  }
})

/** The id of a signed body, whatever envelope carried it: what a node stores and deduplicates by. */
export const dkgBodyId = (m: DkgGossipBody): Hex32 =>
  (DKG_BODY_CODECS[m.kind] as MessageCodec<unknown>).id(m.body)
