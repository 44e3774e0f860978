import {
  type Eip712Domain,
  type Hex32,
  jobIdOf,
  type SignedJobRequest,
  verifyJobRequest,
} from '../../protocol/index.ts'
import { AgentError } from './errors.ts'

/**
 * The request the agent seals to must be the job's own, as its buyer signed it. The node's record
 * is not evidence: a node that swapped in a copy with its own sealing key (same job id, same buyer
 * and vault) would otherwise receive the result sealed to itself, while the certificate, the escrow
 * and the release all still name the real job.
 */
export function checkSignedRequest(domain: Eip712Domain, jobId: Hex32, signed: SignedJobRequest): void {
  if (jobIdOf(signed.request) !== jobId) {
    throw new AgentError('REQUEST_INVALID', `the node's request for job ${jobId} is not that job's request`)
  }
  if (!verifyJobRequest(domain, signed)) {
    throw new AgentError('REQUEST_INVALID', `the request of job ${jobId} is not signed by its buyer`)
  }
}
