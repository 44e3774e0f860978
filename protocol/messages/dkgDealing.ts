import { z } from 'zod'
import { defineMessage } from '../codec.ts'
import { addressSchema, fixedHexSchema, hex32Schema, signatureSchema } from '../hex.ts'
import {
  compressedPointSchema,
  dkgBlobRefSchema,
  dkgInstanceSchema,
  instanceIdCheck,
  memberIndexSchema,
} from './dkgInstance.ts'
import { versionSchema } from './primitives.ts'

/**
 * The share a dealer sends one recipient, sealed to the recipient's validator key (ECIES,
 * protocol/crypto/ecies.ts, with dkgShareContext). The ciphertext is MiBs, so it travels as a blob
 * and the signed message carries its sha256: the signature then commits the dealer to exactly the
 * bytes the recipient received, which is what lets a complaint convict it.
 */
export const dkgDealingSchema = z.strictObject({
  version: versionSchema,
  instance: dkgInstanceSchema,
  dealer: memberIndexSchema,
  recipient: memberIndexSchema,
  /** the dealer's validator address, set[dealer − 1] */
  signer: addressSchema,
  /** the recipient's validator public key; its address must be set[recipient − 1] */
  recipientPublicKey: compressedPointSchema,
  /** id of the dealer's DkgCommitments message the share must open */
  commitmentsId: hex32Schema,
  sealed: z.strictObject({
    scheme: z.literal('secp256k1-hkdf-sha256-aes256gcm'),
    ephemeralPublicKey: compressedPointSchema,
    nonce: fixedHexSchema(12),
    /** the ciphertext (share polynomial in poly-codec form, GCM tag appended) as a blob */
    ciphertext: dkgBlobRefSchema,
  }),
  /** EIP-712 DkgMessage signature by signer */
  signature: signatureSchema,
})
export type DkgDealing = z.infer<typeof dkgDealingSchema>

export const DKG_DEALING_MAX_BYTES = 1536
export const dkgDealingCodec = defineMessage('DkgDealing', dkgDealingSchema, DKG_DEALING_MAX_BYTES, (m) =>
  m.dealer === m.recipient
    ? { path: ['recipient'], detail: 'a dealer keeps its own share' }
    : instanceIdCheck<DkgDealing>()(m),
)

/** The ECIES info and AAD of a dealt share: bound to the instance and the (dealer, recipient) pair. */
export const dkgShareContext = (d: Pick<DkgDealing, 'instance' | 'dealer' | 'recipient'>) => ({
  info: new TextEncoder().encode('tcf-dkg-share/v1 secp256k1-hkdf-sha256-aes256gcm'),
  aad: new TextEncoder().encode(`${d.instance.instanceId}/${d.dealer}/${d.recipient}`),
})
