import { z } from 'zod'
import { defineMessage } from '../codec.ts'
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
