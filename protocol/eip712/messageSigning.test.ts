import { describe, expect, it } from 'vitest'
import { SAMPLE_DOMAIN, sampleBlock, sampleSignedJobRequest } from '../testing/samples.ts'
import { verifyJobRequest, verifyRelease, verifyResultAttestation } from './messageSigning.ts'

describe('signed protocol messages', () => {
  it('verify for their signer and fail once a signed field changes', () => {
    expect(verifyJobRequest(SAMPLE_DOMAIN, sampleSignedJobRequest)).toBe(true)
    const cheaper = { ...sampleSignedJobRequest.request, maxPrice: '1' }
    expect(verifyJobRequest(SAMPLE_DOMAIN, { ...sampleSignedJobRequest, request: cheaper })).toBe(false)

    const release = sampleBlock.released[0]!
    expect(verifyRelease(SAMPLE_DOMAIN, release)).toBe(true)
    expect(verifyRelease(SAMPLE_DOMAIN, { ...release, qualityScore: release.qualityScore + 1 })).toBe(false)

    const certificate = sampleBlock.certified[0]!
    const attestation = { version: 1 as const, ...certificate, ...certificate.attestations[0]! }
    expect(verifyResultAttestation(SAMPLE_DOMAIN, attestation)).toBe(true)
    expect(
      verifyResultAttestation(SAMPLE_DOMAIN, { ...attestation, resultHash: certificate.execEnvHash }),
    ).toBe(false)
  })
})
