import {
  type Eip712Domain,
  type Hex32,
  jobIdOf,
  type SignedJobRequest,
  verifyJobRequest,
} from '../../protocol/index.ts'
import type { Verdict } from '../jobs/rules.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'

export interface JobGossipDeps {
  readonly domain: Eip712Domain
  /** whether a job is admitted already (in the ledger) */
  readonly admitted: (jobId: Hex32) => boolean
  /** requests waiting for a block, by job id */
  readonly pending: Map<Hex32, SignedJobRequest>
  /** the checks a request must pass for this node to propose it */
  readonly admissible: (signed: SignedJobRequest) => Promise<Verdict>
  /** told of a request newly waiting here, so its vault's blobs can be made ready before admission */
  readonly onPending?: (jobId: Hex32, signed: SignedJobRequest) => void
}

/**
 * A job request is signed by its buyer, new here, and one this node would propose. A request
 * this node would refuse is not the sender's fault (its view of the chain or its limits may
 * differ), so it is ignored, not rejected.
 */
export function jobGossip(deps: JobGossipDeps): GossipHandler<SignedJobRequest> {
  return {
    async validate(signed): Promise<GossipVerdict> {
      if (!verifyJobRequest(deps.domain, signed)) return 'reject'
      const jobId = jobIdOf(signed.request)
      if (deps.admitted(jobId) || deps.pending.has(jobId)) return 'ignore'
      const verdict = await deps.admissible(signed)
      return verdict.ok ? 'accept' : 'ignore'
    },
    deliver(signed) {
      const jobId = jobIdOf(signed.request)
      if (deps.admitted(jobId) || deps.pending.has(jobId)) return
      deps.pending.set(jobId, signed)
      deps.onPending?.(jobId, signed)
    },
  }
}
