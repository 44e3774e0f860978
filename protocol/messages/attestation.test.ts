import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../canonicalJson.ts'
import { signResultAttestation } from '../eip712/messageSigning.ts'
import { DecodeError } from '../errors.ts'
import type { Hex32 } from '../hex.ts'
import { hex32Of as h } from '../testing/hex32.ts'
import { SAMPLE_DOMAIN, SAMPLE_KEYS, sampleAttestationBatch } from '../testing/samples.ts'
import { thrown } from '../testing/thrown.ts'
import { type AttestationBatch, attestationBatchCodec, MAX_BATCH_ATTESTATIONS } from './attestation.ts'

const attest = (key: Hex32, jobId: Hex32) =>
  signResultAttestation(SAMPLE_DOMAIN, key, { jobId, resultHash: h(1), execEnvHash: h(2) })
const bytesOf = (value: unknown) => new TextEncoder().encode(canonicalJson(value))

const decodeError = (batch: unknown) =>
  thrown(DecodeError, () => attestationBatchCodec.decode(bytesOf(batch)))

describe('attestation batches', () => {
  it("refuse another validator's attestation: a batch speaks for its validator alone", () => {
    const foreign = attest(SAMPLE_KEYS[1], h(20))
    const batch = {
      ...sampleAttestationBatch,
      attestations: [...sampleAttestationBatch.attestations, foreign],
    }
    const error = decodeError(batch)
    expect([error.code, error.path]).toEqual(['BAD_CONTENT_HASH', ['attestations', 2, 'validator']])
  })

  it('refuse a job attested twice', () => {
    const [first] = sampleAttestationBatch.attestations
    const twice = attest(SAMPLE_KEYS[0], first!.jobId)
    const again = { ...twice, resultHash: h(3) }
    for (const repeat of [first, again]) {
      const error = decodeError({ ...sampleAttestationBatch, attestations: [first, repeat] })
      expect([error.code, error.path]).toEqual(['BAD_CONTENT_HASH', ['attestations', 1, 'jobId']])
    }
  })

  it('carry 1 to 256 attestations, and 256 of the largest fit the size limit', () => {
    expect(decodeError({ ...sampleAttestationBatch, attestations: [] }).code).toBe('SCHEMA')
    const full: AttestationBatch = {
      ...sampleAttestationBatch,
      attestations: Array.from({ length: MAX_BATCH_ATTESTATIONS }, (_, i) =>
        attest(SAMPLE_KEYS[0], h(1000 + i)),
      ),
    }
    const bytes = attestationBatchCodec.encode(full)
    expect(bytes.length).toBeLessThanOrEqual(attestationBatchCodec.maxBytes)
    expect(attestationBatchCodec.decode(bytes)).toEqual(full)
    const over = { ...full, attestations: [...full.attestations, attest(SAMPLE_KEYS[0], h(999))] }
    expect(decodeError(over).code).toBe('SCHEMA')
  })
})
