import { describe, expect, it } from 'vitest'
import {
  type Address,
  addressOfPrivateKey,
  type Hex32,
  type OutputShares,
  signOutputShares,
  signScoreShare,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import { hex32Of as h } from '../../protocol/testing/hex32.ts'
import type { VaultManifest } from '../../sandbox/index.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import { signedRequest } from '../storage/testing/fixtures.ts'
import { domain, keys, outsider } from './testing/epoch.ts'
import { thresholdReleaseGossip } from './threshold-release.ts'

const keyHash = h(9)
const members = keys.map((k) => addressOfPrivateKey(k).toLowerCase() as Address)
const certified: LedgerJob = {
  jobId: h(20),
  request: signedRequest(1),
  admittedHeight: 1,
  certified: { height: 2, resultHash: h(2), execEnvHash: h(3) },
}
const committeeVault = { keyHolder: { mode: 'committee', epoch: 1, keyHash } } as VaultManifest

/** Only the signed shares are read here; the sealed payload is the buyer's to open. */
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
    ...over,
  })
  return { version: 1, share, attempt: 0 }
}

/** Phase 2: the same member's output shares for `participants`. */
function outputsBy(key: Hex32, member: number, participants: number[], signer = key): ThresholdRelease {
  const release = releaseBy(key, member)
  const outputs: OutputShares = signOutputShares(domain, signer, {
    jobId: certified.jobId,
    resultHash: h(2),
    keyHash,
    member,
    validator: addressOfPrivateKey(key),
    participants,
    sealed: {} as OutputShares['sealed'],
  })
  return { ...release, outputs }
}

/** The job once a block's scored entry released it with set `participants` and `score` (1e6 = 1). */
function releasedJob(participants: number[], score: number, minQuality?: number): LedgerJob {
  const request = signedRequest(1)
  const spec = request.request.algorithm.spec as Record<string, unknown>
  const withMinimum =
    minQuality === undefined
      ? request
      : {
          ...request,
          request: {
            ...request.request,
            algorithm: { ...request.request.algorithm, spec: { ...spec, expect: { minQuality } } },
          },
        }
  return {
    ...certified,
    request: withMinimum,
    released: { height: 3, qualityScore: score, sealedHash: h(7), participants },
  }
}

function gossip(job: LedgerJob | null = certified, vault: VaultManifest = committeeVault) {
  return thresholdReleaseGossip({
    domain,
    job: (id) => (job !== null && id === job.jobId ? job : undefined),
    manifest: async () => vault,
    committee: async (k) => (k === keyHash ? { members, threshold: 3 } : undefined),
    pool: { has: () => false, hasOutputs: () => false, keep: async () => undefined },
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

  it("phase 2: accepts a member's output shares for the block's set, once the block released the job", async () => {
    expect(
      await gossip(releasedJob([1, 2, 4], 900_000, 0.5)).validate(outputsBy(keys[1]!, 2, [1, 2, 4])),
    ).toBe('accept')
    // before this node applied the block: nothing to judge them by yet
    expect(await gossip().validate(outputsBy(keys[1]!, 2, [1, 2, 4]))).toBe('ignore')
    // and a late score share of a released job is old news
    expect(await gossip(releasedJob([1, 2, 4], 900_000)).validate(releaseBy(keys[1]!, 2))).toBe('ignore')
  })

  it('phase 2 rejects output shares for another set, from a member outside the set, of a rejected job, or signed by another', async () => {
    const job = releasedJob([1, 2, 4], 900_000, 0.5)
    expect(await gossip(job).validate(outputsBy(keys[1]!, 2, [1, 2, 3]))).toBe('reject')
    expect(await gossip(job).validate(outputsBy(keys[2]!, 3, [1, 2, 4]))).toBe('reject')
    // the block's score 0.4 is below the 0.5 the buyer pays for: no member of S may open the outputs
    const rejected = releasedJob([1, 2, 4], 400_000, 0.5)
    expect(await gossip(rejected).validate(outputsBy(keys[1]!, 2, [1, 2, 4]))).toBe('reject')
    expect(await gossip(job).validate(outputsBy(keys[1]!, 2, [1, 2, 4], keys[0]!))).toBe('reject')
  })

  it("a pool job: a member's share of the aggregate for a set other than the block's is rejected", async () => {
    // Two sets' openings of one aggregate would let their difference cancel the common members' noise.
    const pool = { ...committeeVault, pool: { minContributors: 10 } } as VaultManifest
    const job = releasedJob([1, 2, 4], 900_000)
    expect(await gossip(job, pool).validate(outputsBy(keys[1]!, 2, [1, 2, 3]))).toBe('reject')
    expect(await gossip(job, pool).validate(outputsBy(keys[3]!, 4, [2, 3, 4]))).toBe('reject')
    expect(await gossip(job, pool).validate(outputsBy(keys[3]!, 4, [1, 2, 4]))).toBe('accept')
  })
})
