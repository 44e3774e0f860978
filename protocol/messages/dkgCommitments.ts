import { z } from 'zod'
import { defineMessage } from '../codec.ts'
import { addressSchema, hex32Schema, signatureSchema } from '../hex.ts'
import { MAX_VALIDATORS } from './attestation.ts'
import { dkgInstanceSchema, instanceIdCheck, memberIndexSchema } from './dkgInstance.ts'
import { versionSchema } from './primitives.ts'

/**
 * A dealer's broadcast: one commitment per recipient to the Shamir share it deals that recipient
 * (sandbox/threshold dkg.ts, sha256 bound to instance, dealer and recipient). Signed, so two
 * different broadcasts for one instance prove equivocation and one broadcast convicts a dealer whose
 * private share does not open it.
 */
export const dkgCommitmentsSchema = z.strictObject({
  version: versionSchema,
  instance: dkgInstanceSchema,
  dealer: memberIndexSchema,
  /** the dealer's validator address, which must be set[dealer − 1] */
  signer: addressSchema,
  /** perRecipient[j − 1] commits to member j's share; one per member of the set */
  perRecipient: z.array(hex32Schema).min(1).max(MAX_VALIDATORS),
  /** EIP-712 DkgMessage signature by signer (protocol/eip712/dkgSigning.ts) */
  signature: signatureSchema,
})
export type DkgCommitments = z.infer<typeof dkgCommitmentsSchema>

/** 128 commitments of 66 hex characters plus the envelope. */
export const DKG_COMMITMENTS_MAX_BYTES = 12 * 1024
export const dkgCommitmentsCodec = defineMessage(
  'DkgCommitments',
  dkgCommitmentsSchema,
  DKG_COMMITMENTS_MAX_BYTES,
  instanceIdCheck(),
)
