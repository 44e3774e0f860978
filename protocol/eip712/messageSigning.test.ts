import { describe, expect, it } from 'vitest'
import { SAMPLE_DOMAIN, sampleBlock, sampleSignedJobRequest } from '../testing/samples.ts'
import {
  verifyJobRequest,
  verifyRelease,
  verifyResultAttestation,
  verifyResultAttestations,
} from './messageSigning.ts'

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

  it("check a certificate's attestations as one by one, each signer its own", () => {
    const certificate = sampleBlock.certified[0]!
    const one = (a: (typeof certificate.attestations)[number]) =>
      verifyResultAttestation(SAMPLE_DOMAIN, { version: 1, ...certificate, ...a })
    const [first, second] = certificate.attestations
    const claimed = second ? [{ ...first!, validator: second.validator }] : []
    const attestations = [...certificate.attestations, ...claimed]
    expect(verifyResultAttestations(SAMPLE_DOMAIN, certificate, attestations)).toEqual(attestations.map(one))
    expect(
      verifyResultAttestations(SAMPLE_DOMAIN, certificate, certificate.attestations).every(Boolean),
    ).toBe(true)
    if (second) expect(verifyResultAttestations(SAMPLE_DOMAIN, certificate, claimed)).toEqual([false])
    const other = { ...certificate, resultHash: certificate.execEnvHash }
    expect(verifyResultAttestations(SAMPLE_DOMAIN, other, certificate.attestations).some(Boolean)).toBe(false)
  })
})
