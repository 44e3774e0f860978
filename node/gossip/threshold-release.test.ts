import { describe, expect, it } from 'vitest'
import {
  type Address,
  addressOfPrivateKey,
  type Hex32,
  signScoreShare,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import type { VaultManifest } from '../../sandbox/index.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import { signedRequest } from '../storage/testing/fixtures.ts'
import { domain, keys, outsider } from './testing/epoch.ts'
import { thresholdReleaseGossip } from './threshold-release.ts'

const h = (n: number): Hex32 => `0x${n.toString(16).padStart(64, '0')}`
const keyHash = h(9)
const members = keys.map((k) => addressOfPrivateKey(k).toLowerCase() as Address)
const certified: LedgerJob = {
  jobId: h(20),
  request: signedRequest(1),
  admittedHeight: 1,
  certified: { height: 2, resultHash: h(2), execEnvHash: h(3) },
}
const committeeVault = { keyHolder: { mode: 'committee', epoch: 1, keyHash } } as VaultManifest

/** Only the signed share is read here; the sealed payload is the buyer's to open. */
function releaseBy(
  key: Hex32,
  member: number,
  over: Partial<ThresholdRelease['share']> = {},
): ThresholdRelease {
  const share = signScoreShare(domain, key, {
    jobId: certified.jobId,
    resultHash: h(2),
    keyHash,
    member,
    validator: addressOfPrivateKey(key),
    sets: [{ participants: [1, 2, 3], stats: [['5']] }],
    constants: [{ c0: ['7'], scale: 2 ** 40 }],
    sealedHash: h(4),
    ...over,
  })
  return { version: 1, share, sealed: {} as ThresholdRelease['sealed'], attempt: 0 }
}

function gossip(job: LedgerJob | null = certified) {
  return thresholdReleaseGossip({
    domain,
    job: (id) => (job !== null && id === job.jobId ? job : undefined),
    manifest: async () => committeeVault,
    committee: async (k) => (k === keyHash ? { members, threshold: 3 } : undefined),
    pool: { has: () => false, keep: async () => undefined },
  })
}

describe('the shares topic', () => {
  it("accepts a member's release of a certified job on its committee's vault", async () => {
    expect(await gossip().validate(releaseBy(keys[1]!, 2))).toBe('accept')
  })

  it('rejects a changed share, a non-member, a member posing as another, a result not certified', async () => {
    const good = releaseBy(keys[1]!, 2)
    const altered = { ...good, share: { ...good.share, sets: [{ participants: [1, 2, 3], stats: [['6']] }] } }
    expect(await gossip().validate(altered)).toBe('reject')
    expect(await gossip().validate(releaseBy(outsider, 2))).toBe('reject')
    expect(await gossip().validate(releaseBy(keys[1]!, 3))).toBe('reject')
    expect(await gossip().validate(releaseBy(keys[1]!, 2, { resultHash: h(5) }))).toBe('reject')
  })

  it('ignores what it cannot judge yet: a job not certified here, another key', async () => {
    expect(await gossip(null).validate(releaseBy(keys[1]!, 2))).toBe('ignore')
    expect(await gossip().validate(releaseBy(keys[1]!, 2, { keyHash: h(6) }))).toBe('ignore')
  })
})
