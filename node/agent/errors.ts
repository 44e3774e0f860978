import { TcfError } from '../../protocol/errors.ts'
/**
 * Why the vault agent did not release a job. REFUSALS are final for this
 * job (the agent will not try it again in this process); the others are
 * retried on the next poll.
 */
export type AgentErrorCode =
  /** the block, its commit certificate or the job's result certificate does not check out */
  | 'CERTIFICATE_INVALID'
  /** the spec does not compile against the vault's manifest and policy */
  | 'POLICY_REFUSED'
  /** the certified result is not what this spec's circuit would produce */
  | 'RESULT_MISMATCH'
  /** no node serves the block or the result bundle (yet) */
  | 'RESULT_UNAVAILABLE'
  /** the node's record of the request does not hash to the job id or is not signed by its buyer */
  | 'REQUEST_INVALID'
  /** the job's escrow is not open, or not bound to this request's vault and buyer, or below the price */
  | 'ESCROW_MISMATCH'
  /** the escrow expires, or the job's deadline height comes, too soon for a release to be decided, anchored and settled */
  | 'ESCROW_EXPIRING'
  /** the agent was given no node to talk to */
  | 'NO_NODES'
  /** the agent was used before start() */
  | 'NOT_STARTED'

const REFUSALS: ReadonlySet<AgentErrorCode> = new Set([
  'CERTIFICATE_INVALID',
  'POLICY_REFUSED',
  'RESULT_MISMATCH',
  'ESCROW_MISMATCH',
  'ESCROW_EXPIRING',
  'REQUEST_INVALID',
])

export class AgentError extends TcfError {
  override name = 'AgentError'
  readonly code: AgentErrorCode

  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  get final(): boolean {
    return REFUSALS.has(this.code)
  }
}
