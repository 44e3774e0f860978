import type { ValidatorSet } from '../../consensus/index.ts'
import {
  type Eip712Domain,
  type Hex32,
  type ResultAttestation,
  verifyResultAttestation,
} from '../../protocol/index.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'

export interface AttestationGossipDeps {
  readonly domain: Eip712Domain
  /** the current epoch's validators: only they attest */
  readonly validators: () => ValidatorSet
  readonly job: (jobId: Hex32) => Pick<LedgerJob, 'certified' | 'failedHeight'> | undefined
  readonly pool: { add(attestation: ResultAttestation): void }
}

/**
 * A result attestation is signed by a validator of the set, for a job still waiting for its
 * certificate: once a job is certified or failed, further attestations are of no use.
 */
export function attestationGossip(deps: AttestationGossipDeps): GossipHandler<ResultAttestation> {
  return {
    validate(a): GossipVerdict {
      if (!verifyResultAttestation(deps.domain, a)) return 'reject'
      if (!deps.validators().has(a.validator)) return 'ignore'
      const job = deps.job(a.jobId)
      return job && (job.certified || job.failedHeight !== undefined) ? 'ignore' : 'accept'
    },
    deliver: (a) => deps.pool.add(a),
  }
}
