import {
  type Eip712Domain,
  type Hex32,
  scoreShareSigner,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import type { VaultManifest } from '../../sandbox/index.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import type { CommitteeView } from '../jobs/scored-rules.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'

export interface ThresholdReleaseGossipDeps {
  readonly domain: Eip712Domain
  readonly job: (jobId: Hex32) => LedgerJob | undefined
  readonly manifest: (vaultId: Hex32) => Promise<VaultManifest | undefined>
  readonly committee: (keyHash: Hex32) => Promise<CommitteeView | undefined>
  readonly pool: {
    has(jobId: Hex32, member: number): boolean
    keep(release: ThresholdRelease): Promise<unknown>
  }
}

/**
 * A member's threshold release: for a certified, unreleased job on a committee vault, of the
 * certified result and the vault's key, signed by the validator that is that member. Its sender is
 * answerable for a bad signature or a member it is not; the rest (a job this node has not seen
 * certified yet, a key not loaded) is ignored.
 */
export function thresholdReleaseGossip(deps: ThresholdReleaseGossipDeps): GossipHandler<ThresholdRelease> {
  return {
    async validate({ share }): Promise<GossipVerdict> {
      const signer = scoreShareSigner(deps.domain, share)
      if (signer === undefined || signer !== share.validator.toLowerCase()) return 'reject'
      const job = deps.job(share.jobId)
      if (!job?.certified || job.released || deps.pool.has(share.jobId, share.member)) return 'ignore'
      if (job.certified.resultHash !== share.resultHash) return 'reject'
      const manifest = await deps.manifest(job.request.request.vaultId).catch(() => undefined)
      if (manifest?.keyHolder?.keyHash !== share.keyHash) return 'ignore'
      const committee = await deps.committee(share.keyHash)
      if (!committee) return 'ignore'
      return committee.members[share.member - 1] === signer ? 'accept' : 'reject'
    },
    deliver: (release) => void deps.pool.keep(release),
  }
}
