import {
  type Eip712Domain,
  type Hex32,
  jobIdOf,
  type SignedJobRequest,
  verifyJobRequest,
} from '../../protocol/index.ts'
import { isSealingPublicKey } from '../sdk/index.ts'
import { AgentError } from './errors.ts'

/**
 * The request the agent seals to must be the job's own, as its buyer signed it. The node's record
 * is not evidence: a node that swapped in a copy with its own sealing key (same job id, same buyer
 * and vault) would otherwise receive the result sealed to itself, while the certificate, the escrow
 * and the release all still name the real job. And its sealing key must be a point of the curve:
 * the request schema checks only the key's form, and a seal to no point fails after the decryption,
 * every poll, until the job's deadline.
 */
export function checkSignedRequest(domain: Eip712Domain, jobId: Hex32, signed: SignedJobRequest): void {
  if (jobIdOf(signed.request) !== jobId) {
    throw new AgentError('REQUEST_INVALID', `the node's request for job ${jobId} is not that job's request`)
  }
  if (!verifyJobRequest(domain, signed)) {
    throw new AgentError('REQUEST_INVALID', `the request of job ${jobId} is not signed by its buyer`)
  }
  if (!isSealingPublicKey(signed.request.sealingPublicKey)) {
    throw new AgentError(
      'REQUEST_INVALID',
      `the request of job ${jobId} names a sealing key that is no secp256k1 point: nothing can be sealed to it`,
    )
  }
}
