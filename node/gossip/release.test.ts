import { describe, expect, it } from 'vitest'
import {
  type Address,
  addressOfPrivateKey,
  type Hex32,
  type SealedResult,
  signRelease,
} from '../../protocol/index.ts'
import { hex32Of as h } from '../../protocol/testing/hex32.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import { signedRequest } from '../storage/testing/fixtures.ts'
import { releaseGossip } from './release.ts'
import { domain, keys, outsider } from './testing/epoch.ts'

const ownerKey = keys[3] as Hex32
const request = signedRequest(1)
const certified: LedgerJob = {
  jobId: h(20),
  request,
  admittedHeight: 1,
  certified: { height: 2, resultHash: h(2), execEnvHash: h(3) },
}

/** The validator reads the release only; the sealed payload is the buyer's to open. */
function sealedBy(key: Hex32, jobId = certified.jobId): SealedResult {
  const one = 1_000_000
  const release = signRelease(domain, key, {
    jobId,
    resultHash: h(2),
    qualityScore: one,
    components: { sampleSize: one, completeness: one, plausibility: one, fitness: one },
    sealedHash: h(4),
  })
  return { version: 1, release, sealed: {} as SealedResult['sealed'] }
}

function gossip(job: LedgerJob | undefined, held: readonly Hex32[] = []) {
  const kept: SealedResult[] = []
  const releases = releaseGossip({
    domain,
    job: () => job,
    releases: { has: (jobId) => held.includes(jobId), keep: async (s) => kept.push(s) },
    owner: async () => addressOfPrivateKey(ownerKey).toLowerCase() as Address,
  })
  return { releases, kept }
}

describe('release gossip', () => {
  it("accepts the vault owner's release of a certified job and keeps it", async () => {
    const { releases, kept } = gossip(certified)
    const sealed = sealedBy(ownerKey)
    expect(await releases.validate(sealed)).toBe('accept')
    releases.deliver(sealed)
    expect(kept).toEqual([sealed])
  })

  it('rejects a release whose signature is not its owner’s', async () => {
    const { releases } = gossip(certified)
    const sealed = sealedBy(ownerKey)
    expect(await releases.validate({ ...sealed, release: { ...sealed.release, qualityScore: 1 } })).toBe(
      'reject',
    )
  })

  it("ignores another key's release, an uncertified, released or already held job", async () => {
    expect(await gossip(certified).releases.validate(sealedBy(outsider))).toBe('ignore')
    const { certified: _, ...uncertified } = certified
    expect(await gossip(uncertified).releases.validate(sealedBy(ownerKey))).toBe('ignore')
    const released = { ...certified, released: { height: 3, qualityScore: 1, sealedHash: h(4) } }
    expect(await gossip(released).releases.validate(sealedBy(ownerKey))).toBe('ignore')
    expect(await gossip(certified, [certified.jobId]).releases.validate(sealedBy(ownerKey))).toBe('ignore')
  })
})
