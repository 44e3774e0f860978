import type { ValidatorSet } from '../../consensus/index.ts'
import {
  type AttestationBatch,
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
 * A batch is one validator's result attestations (the codec holds it to one validator and one
 * attestation a job). Only that validator can sign them, so one bad signature makes the whole batch
 * its fault or a forgery. An attestation is of use while its job waits for its certificate: once
 * the job is certified or failed it is dropped, and a batch with nothing of use is not passed on.
 * Signatures are checked last, as they are the cost: a non-member's batch, or the slowest
 * validator's after its jobs were certified without it, is dropped without recovering a key.
 */
export function attestationGossip(deps: AttestationGossipDeps): GossipHandler<AttestationBatch> {
  const open = (a: ResultAttestation) => {
    const job = deps.job(a.jobId)
    return !job || (!job.certified && job.failedHeight === undefined)
  }
  return {
    validate(batch): GossipVerdict {
      if (!deps.validators().has(batch.validator)) return 'ignore'
      if (!batch.attestations.some(open)) return 'ignore'
      for (const a of batch.attestations) if (!verifyResultAttestation(deps.domain, a)) return 'reject'
      return 'accept'
    },
    deliver(batch) {
      for (const a of batch.attestations) if (open(a)) deps.pool.add(a)
    },
  }
}
