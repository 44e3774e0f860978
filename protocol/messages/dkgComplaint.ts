import { z } from 'zod'
import { defineMessage } from '../codec.ts'
import { addressSchema, signatureSchema } from '../hex.ts'
import { MAX_VALIDATORS } from './attestation.ts'
import { dkgCommitmentsSchema } from './dkgCommitments.ts'
import { dkgDealingSchema } from './dkgDealing.ts'
import {
  compressedPointSchema,
  dkgInstanceSchema,
  instanceIdCheck,
  memberIndexSchema,
  scalarSchema,
} from './dkgInstance.ts'
import { versionSchema } from './primitives.ts'

/**
 * A recipient opening a dealing it received: the dealer's signed dealing, the ECDH point its
 * ciphertext was sealed under, and a proof (DLEQ, protocol/crypto/dleq.ts) that the point is the
 * recipient's own. With the ciphertext blob, anyone then decrypts the share the dealer sent, and
 * no one can substitute another.
 */
export const dkgOpeningSchema = z.strictObject({
  dealing: dkgDealingSchema,
  sharedPoint: compressedPointSchema,
  proof: z.strictObject({ c: scalarSchema, s: scalarSchema }),
})
export type DkgOpening = z.infer<typeof dkgOpeningSchema>

/**
 * Names a dealer that dealt inconsistently, with the evidence:
 * - MISMATCH: one opening, by the complainant, whose share does not open the dealer's commitment;
 * - UNDECRYPTABLE: one opening, by the complainant, whose ciphertext fails to decrypt under the
 *   proven point (or is not a share polynomial);
 * - DEGREE: at least t+1 openings (by their recipients) whose shares, each opening its commitment,
 *   do not lie on one polynomial of degree t−1.
 */
export const dkgComplaintSchema = z.strictObject({
  version: versionSchema,
  instance: dkgInstanceSchema,
  kind: z.enum(['MISMATCH', 'UNDECRYPTABLE', 'DEGREE']),
  complainant: memberIndexSchema,
  accused: memberIndexSchema,
  signer: addressSchema,
  /** the accused dealer's signed broadcast */
  commitments: dkgCommitmentsSchema,
  openings: z.array(dkgOpeningSchema).min(1).max(MAX_VALIDATORS),
  signature: signatureSchema,
})
export type DkgComplaint = z.infer<typeof dkgComplaintSchema>

/** The accused's commitments (12 KiB) and one opening (1.8 KiB) per member of the largest set. */
export const DKG_COMPLAINT_MAX_BYTES = 256 * 1024

export const dkgComplaintCodec = defineMessage(
  'DkgComplaint',
  dkgComplaintSchema,
  DKG_COMPLAINT_MAX_BYTES,
  (m) => {
    const same = (i: { instanceId: string }) => i.instanceId === m.instance.instanceId
    if (m.commitments.dealer !== m.accused || !same(m.commitments.instance)) {
      return { path: ['commitments'], detail: "not the accused dealer's broadcast for this instance" }
    }
    const recipients = new Set<number>()
    for (const [k, o] of m.openings.entries()) {
      if (o.dealing.dealer !== m.accused || !same(o.dealing.instance)) {
        return {
          path: ['openings', k, 'dealing'],
          detail: "not the accused dealer's dealing for this instance",
        }
      }
      if (recipients.has(o.dealing.recipient)) {
        return { path: ['openings', k, 'dealing', 'recipient'], detail: 'opened twice' }
      }
      recipients.add(o.dealing.recipient)
    }
    if (
      m.kind !== 'DEGREE' &&
      (m.openings.length !== 1 || m.openings[0]!.dealing.recipient !== m.complainant)
    ) {
      return { path: ['openings'], detail: `a ${m.kind} complaint opens exactly the complainant's dealing` }
    }
    if (m.kind === 'DEGREE' && m.openings.length < 2) {
      return { path: ['openings'], detail: 'a DEGREE complaint opens several dealings' }
    }
    return instanceIdCheck<DkgComplaint>()(m)
  },
)
