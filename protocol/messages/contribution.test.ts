import { describe, expect, it } from 'vitest'
import { addressOfPrivateKey } from '../eip712/ecdsa.ts'
import { signContribution, signPoolBan, verifyContribution, verifyPoolBan } from '../eip712/messageSigning.ts'
import type { Hex32 } from '../hex.ts'
import { SAMPLE_DOMAIN } from '../testing/samples.ts'
import { type Contribution, contributionIdOf, signedContributionCodec } from './contribution.ts'

const key = `0x${'11'.repeat(32)}` as Hex32
const other = `0x${'22'.repeat(32)}` as Hex32
const claim: Contribution = {
  version: 1,
  poolId: `0x${'aa'.repeat(32)}`,
  contributor: addressOfPrivateKey(key),
  window: 3,
  sequence: 0,
  blobId: `0x${'bb'.repeat(32)}`,
}

describe('contribution claims', () => {
  it('verify only for the contributor, the pool, the window, the sequence and the blob signed', () => {
    const signed = signContribution(SAMPLE_DOMAIN, key, claim)
    expect(verifyContribution(SAMPLE_DOMAIN, signed)).toBe(true)
    expect(signedContributionCodec.decode(signedContributionCodec.encode(signed))).toEqual(signed)
    const changes: Partial<Contribution>[] = [
      { poolId: `0x${'ac'.repeat(32)}` },
      { window: 4 },
      { sequence: 1 },
      { blobId: `0x${'bc'.repeat(32)}` },
      { contributor: addressOfPrivateKey(other) },
    ]
    for (const change of changes) {
      expect(verifyContribution(SAMPLE_DOMAIN, { ...signed, contribution: { ...claim, ...change } })).toBe(
        false,
      )
    }
    expect(verifyContribution({ ...SAMPLE_DOMAIN, chainId: SAMPLE_DOMAIN.chainId + 1n }, signed)).toBe(false)
    const forged = signContribution(SAMPLE_DOMAIN, other, claim)
    expect(verifyContribution(SAMPLE_DOMAIN, forged)).toBe(false)
    expect(contributionIdOf(claim)).not.toBe(contributionIdOf({ ...claim, sequence: 1 }))
  })

  it('bans verify only against the curator who signed them', () => {
    const ban = signPoolBan(SAMPLE_DOMAIN, key, {
      poolId: claim.poolId,
      contributor: addressOfPrivateKey(other),
    })
    expect(verifyPoolBan(SAMPLE_DOMAIN, ban, addressOfPrivateKey(key))).toBe(true)
    expect(verifyPoolBan(SAMPLE_DOMAIN, ban, addressOfPrivateKey(other))).toBe(false)
    expect(
      verifyPoolBan(SAMPLE_DOMAIN, { ...ban, poolId: `0x${'ac'.repeat(32)}` }, addressOfPrivateKey(key)),
    ).toBe(false)
  })
})
