import {
  type Address,
  type Eip712Domain,
  type Hex32,
  type SealedResult,
  verifyRelease,
} from '../../protocol/index.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'

export interface ReleaseGossipDeps {
  readonly domain: Eip712Domain
  readonly job: (jobId: Hex32) => LedgerJob | undefined
  /** releases held here and not yet in a decided block */
  readonly releases: { has(jobId: Hex32): boolean; keep(sealed: SealedResult): Promise<unknown> }
  /** the vault's on-chain owner */
  readonly owner: (vaultId: Hex32) => Promise<Address>
}

/**
 * A release is signed by its owner, for a certified job not released yet and not already held
 * here, by the on-chain owner of the job's vault.
 */
export function releaseGossip(deps: ReleaseGossipDeps): GossipHandler<SealedResult> {
  return {
    async validate(sealed): Promise<GossipVerdict> {
      if (!verifyRelease(deps.domain, sealed.release)) return 'reject'
      const job = deps.job(sealed.release.jobId)
      if (!job?.certified || job.released || deps.releases.has(job.jobId)) return 'ignore'
      const owner = await deps.owner(job.request.request.vaultId).catch(() => undefined)
      return owner === sealed.release.owner.toLowerCase() ? 'accept' : 'ignore'
    },
    deliver: (sealed) => void deps.releases.keep(sealed),
  }
}
