import { z } from 'zod'
import { type ContentCheck, defineMessage } from '../codec.ts'
import { addressSchema, hex32Schema, signatureSchema } from '../hex.ts'
import { versionSchema } from './primitives.ts'

/** A validator's claim that evaluating jobId in execEnvHash gave the ciphertext with resultHash. */
export const resultAttestationSchema = z.strictObject({
  version: versionSchema,
  jobId: hex32Schema,
  resultHash: hex32Schema,
  /** Hash of (node-seal version, HE profile, runtime version): results only agree in one environment. */
  execEnvHash: hex32Schema,
  validator: addressSchema,
  /** EIP-712 ResultAttestation signature by validator. */
  signature: signatureSchema,
})
export type ResultAttestation = z.infer<typeof resultAttestationSchema>
export const resultAttestationCodec = defineMessage('ResultAttestation', resultAttestationSchema, 512)

/** Attestations one batch may carry: a burst's worth of jobs, still one modest gossip message. */
export const MAX_BATCH_ATTESTATIONS = 256

/**
 * What the `attestations` topic carries: the attestations one validator has ready, in one gossip
 * message. Per-message transport and validation cost a validator more CPU than the attestations
 * themselves; each is still signed on its own, so a certificate in a block is unchanged.
 */
export const attestationBatchSchema = z.strictObject({
  version: versionSchema,
  /** the validator whose attestations these all are: the batch is its, to be answered for by it */
  validator: addressSchema,
  attestations: z.array(resultAttestationSchema).min(1).max(MAX_BATCH_ATTESTATIONS),
})
export type AttestationBatch = z.infer<typeof attestationBatchSchema>

/**
 * A batch speaks for one validator, so a forged or foreign attestation in it is its sender's fault;
 * and one attestation a job, so a batch cannot make a receiver verify the same claim twice.
 */
const batchContent: ContentCheck<AttestationBatch> = (batch) => {
  const jobs = new Set<string>()
  for (const [i, a] of batch.attestations.entries()) {
    if (a.validator !== batch.validator)
      return {
        path: ['attestations', i, 'validator'],
        detail: `not the batch's validator ${batch.validator}`,
      }
    if (jobs.has(a.jobId)) return { path: ['attestations', i, 'jobId'], detail: `job ${a.jobId} twice` }
    jobs.add(a.jobId)
  }
  return undefined
}

export const attestationBatchCodec = defineMessage(
  'AttestationBatch',
  attestationBatchSchema,
  // each attestation as large as it may be, a comma apart, and the envelope
  MAX_BATCH_ATTESTATIONS * (resultAttestationCodec.maxBytes + 1) + 256,
  batchContent,
)

export const validatorSignatureSchema = z.strictObject({
  validator: addressSchema,
  signature: signatureSchema,
})
export type ValidatorSignature = z.infer<typeof validatorSignatureSchema>

/** Signature sets are bounded by the largest validator set the contracts accept. */
export const MAX_VALIDATORS = 128

/** 2f+1 matching attestations, carried in a block: anyone can check each signature. */
export const resultCertificateSchema = z.strictObject({
  jobId: hex32Schema,
  resultHash: hex32Schema,
  execEnvHash: hex32Schema,
  attestations: z.array(validatorSignatureSchema).min(1).max(MAX_VALIDATORS),
})
export type ResultCertificate = z.infer<typeof resultCertificateSchema>
