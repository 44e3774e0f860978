import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import { addressSchema, type Hex32, hex32Schema, keccak256, signatureSchema } from '../hex.ts'
import { MAX_VALIDATORS } from './attestation.ts'
import { dkgBlobRefSchema, dkgInstanceSchema, instanceIdCheck, memberIndexSchema } from './dkgInstance.ts'
import { versionSchema } from './primitives.ts'

/**
 * The committee's key set an epoch's DKG produced: the SEAL objects as blobs, and the qualified
 * dealers whose secrets it sums. Its hash is what members sign and the Anchor records
 * (registerCommitteeKey); a seller fetching the public key from any node checks it against that.
 */
export const collectiveKeySchema = z.strictObject({
  instance: dkgInstanceSchema,
  /** HE profile the keys belong to, e.g. 'ckks-8192' */
  profile: z.string().min(1).max(64),
  /** ascending, no repeats */
  qualified: z.array(memberIndexSchema).min(1).max(MAX_VALIDATORS),
  publicKey: dkgBlobRefSchema,
  relinKeys: dkgBlobRefSchema,
  galoisKeys: dkgBlobRefSchema,
})
export type CollectiveKey = z.infer<typeof collectiveKeySchema>

export const collectiveKeyHash = (key: CollectiveKey): Hex32 => keccak256(canonicalBytes(key))

/**
 * A member's signature of the collective key: EIP-712 CommitteeKey(epoch, setHash, keyHash) under
 * the Anchor's domain (protocol/eip712/messageSigning.ts signCommitteeKey), so 2f+1 of these are
 * exactly what Anchor.registerCommitteeKey takes.
 */
export const collectiveKeySignatureSchema = z.strictObject({
  version: versionSchema,
  key: collectiveKeySchema,
  keyHash: hex32Schema,
  signer: addressSchema,
  signature: signatureSchema,
})
export type CollectiveKeySignature = z.infer<typeof collectiveKeySignatureSchema>

export const COLLECTIVE_KEY_SIGNATURE_MAX_BYTES = 2048
export const collectiveKeySignatureCodec = defineMessage(
  'CollectiveKeySignature',
  collectiveKeySignatureSchema,
  COLLECTIVE_KEY_SIGNATURE_MAX_BYTES,
  (m) => {
    const q = m.key.qualified
    if (q.some((v, i) => i > 0 && v <= q[i - 1]!)) {
      return { path: ['key', 'qualified'], detail: 'not ascending without repeats' }
    }
    if (collectiveKeyHash(m.key) !== m.keyHash) return { path: ['keyHash'], detail: 'does not hash key' }
    return instanceIdCheck<{ instance: CollectiveKeySignature['key']['instance'] }>(['key', 'instance'])({
      instance: m.key.instance,
    })
  },
)
