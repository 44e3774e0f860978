import {
  type Eip712Domain,
  type Hex32,
  outputSharesSigner,
  scoreShareSigner,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import type { VaultManifest } from '../../sandbox/index.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import type { CommitteeView } from '../jobs/scored-rules.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'
import { releasableSet } from '../threshold/output-shares.ts'

export interface ThresholdReleaseGossipDeps {
  readonly domain: Eip712Domain
  readonly job: (jobId: Hex32) => LedgerJob | undefined
  readonly manifest: (vaultId: Hex32) => Promise<VaultManifest | undefined>
  readonly committee: (keyHash: Hex32) => Promise<CommitteeView | undefined>
  readonly pool: {
    has(jobId: Hex32, member: number): boolean
    hasOutputs(jobId: Hex32, member: number): boolean
    keep(release: ThresholdRelease): Promise<unknown>
  }
}

/**
 * A member's threshold release, signed by the validator that is that member, of the certified
 * result and the vault's key. Phase 1 (score shares) only for a certified, unreleased job; phase 2
 * (output shares) only once a decided block released the job with a set S containing the member,
 * for exactly that S, and with a score that reaches the buyer's minimum: output shares for another
 * set, or of a rejected job, are what no honest member sends. Its sender is answerable for those,
 * a bad signature or a member it is not; the rest (a block or key not here yet) is ignored.
 */
export function thresholdReleaseGossip(deps: ThresholdReleaseGossipDeps): GossipHandler<ThresholdRelease> {
  return {
    async validate({ share, outputs }): Promise<GossipVerdict> {
      const signer = scoreShareSigner(deps.domain, share)
      if (signer === undefined || signer !== share.validator.toLowerCase()) return 'reject'
      if (outputs && outputSharesSigner(deps.domain, outputs) !== signer) return 'reject'
      const job = deps.job(share.jobId)
      if (!job?.certified) return 'ignore'
      if (job.certified.resultHash !== share.resultHash) return 'reject'
      if (outputs) {
        const verdict = outputsVerdict(job, share.member, outputs.participants)
        if (verdict !== 'accept') return verdict
        if (deps.pool.hasOutputs(share.jobId, share.member)) return 'ignore'
      } else if (job.released || deps.pool.has(share.jobId, share.member)) {
        return 'ignore'
      }
      const manifest = await deps.manifest(job.request.request.vaultId).catch(() => undefined)
      if (manifest?.keyHolder?.keyHash !== share.keyHash) return 'ignore'
      const committee = await deps.committee(share.keyHash)
      if (!committee) return 'ignore'
      return committee.members[share.member - 1] === signer ? 'accept' : 'reject'
    },
    deliver: (release) => void deps.pool.keep(release),
  }
}

/** Whether a member may have sent output shares for `participants`, from the decided blocks alone. */
function outputsVerdict(job: LedgerJob, member: number, participants: readonly number[]): GossipVerdict {
  if (!job.released) return 'ignore'
  const set = releasableSet(job)
  return set && set.join(',') === participants.join(',') && set.includes(member) ? 'accept' : 'reject'
}
