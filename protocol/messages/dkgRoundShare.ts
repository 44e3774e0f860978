import { z } from 'zod'
import { defineMessage } from '../codec.ts'
import { addressSchema, hex32Schema, signatureSchema } from '../hex.ts'
import { dkgBlobRefSchema, dkgInstanceSchema, instanceIdCheck, memberIndexSchema } from './dkgInstance.ts'
import { uintSchema, versionSchema } from './primitives.ts'

/**
 * A member's share of one key-generation step among the qualified dealers: CKG (public key), the
 * two RKG rounds (relinearization key), RTG for one Galois element. Commit, then reveal
 * (sandbox/threshold commitment.ts): the commit phase carries only the hash, the reveal the share
 * as a blob (MiBs). The node persists a share before sending it and re-sends those bytes: a share
 * recomputed with fresh randomness for one instance leaks the member's key.
 */
const base = {
  version: versionSchema,
  instance: dkgInstanceSchema,
  /** `reshare-check`: a new member's openings of a reshare's challenge (node/threshold/reshare-check-blob.ts) */
  step: z.enum(['ckg', 'rkg1', 'rkg2', 'rtg', 'reshare-check']),
  /** the Galois element of an RTG step; null for every other step */
  galoisElement: uintSchema.nullable(),
  member: memberIndexSchema,
  signer: addressSchema,
  /** shareCommitment(step, instanceId, member, polys) of sandbox/threshold */
  commitment: hex32Schema,
  signature: signatureSchema,
}

export const dkgRoundShareSchema = z.discriminatedUnion('phase', [
  z.strictObject({ ...base, phase: z.literal('commit') }),
  z.strictObject({ ...base, phase: z.literal('reveal'), share: dkgBlobRefSchema }),
])
export type DkgRoundShare = z.infer<typeof dkgRoundShareSchema>

export const DKG_ROUND_SHARE_MAX_BYTES = 1024
export const dkgRoundShareCodec = defineMessage(
  'DkgRoundShare',
  dkgRoundShareSchema,
  DKG_ROUND_SHARE_MAX_BYTES,
  (m) =>
    (m.step === 'rtg') !== (m.galoisElement !== null)
      ? { path: ['galoisElement'], detail: 'set for an RTG step and only for one' }
      : instanceIdCheck<DkgRoundShare>()(m),
)
