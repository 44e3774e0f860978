import { TcfError } from '../../protocol/errors.ts'
/**
 * Stable codes for everything the SDK refuses or fails at. `API_ERROR` carries
 * the node's own code (`apiCode`, e.g. OP_NOT_ALLOWED) and HTTP status.
 */
export type ClientErrorCode =
  | 'API_ERROR'
  | 'UNREACHABLE'
  | 'BAD_RESPONSE'
  | 'KEY_REQUIRED'
  | 'CHAIN_TX_FAILED'
  | 'VAULT_NOT_FOUND'
  | 'VAULT_NOT_OWNED'
  | 'JOB_FAILED'
  | 'TIMEOUT'
  | 'NOT_RELEASED'
  | 'BAD_RELEASE'
  /** the block, its commit certificate or the job's result certificate does not check out against the chain */
  | 'CERTIFICATE_INVALID'
  | 'UNSEAL_FAILED'
  /** a sealing key that is not a secp256k1 key: a public key with no point behind it, a secret out of range */
  | 'SEALING_KEY_INVALID'
  /** no escrow was ever opened for the job */
  | 'NO_ESCROW'
  /** the job's escrow is open and nothing yet proves how to close it (not released, failed or expired) */
  | 'NOT_SETTLEABLE'
  /** the node has no committee key for the epoch (its DKG has not finished) */
  | 'COMMITTEE_KEY_UNAVAILABLE'
  /** the committee key served does not match the hash registered on chain, or its bytes their id */
  | 'COMMITTEE_KEY_INVALID'
  /** a threshold release's shares disagree with each other or with the certified job */
  | 'RESULT_MISMATCH'
  /** fewer than t members' shares of a threshold release are here yet */
  | 'RESULT_INCOMPLETE'
  /** the job holds nothing for contributors: not settled, not paid, or not on a pool */
  | 'NOT_CLAIMABLE'
  /** the node serves no payouts for a settled pool job (it did not evaluate it, or lost its log) */
  | 'PAYOUTS_UNAVAILABLE'
  /** the address has no contribution in the snapshot the job read */
  | 'NOT_A_CONTRIBUTOR'
  /** the job's certified quality score is below the minimum it pays for: refunded, and no outputs exist */
  | 'BELOW_MIN_QUALITY'
  /** the vault named is not a pool, or the pool's terms and committee key do not agree */
  | 'NOT_A_POOL'
  /** a contributor's records do not fit the pool (schema, count); the sandbox's field is named */
  | 'CONTRIBUTION_INVALID'

export class ClientError extends TcfError {
  override name = 'ClientError'
  readonly code: ClientErrorCode
  /** HTTP status, for API_ERROR */
  readonly status: number | undefined
  /** the node's error code, for API_ERROR */
  readonly apiCode: string | undefined
  /** for API_ERROR, what the refusal names beside its code and message (say, the spec's `field`) */
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: ClientErrorCode,
    message: string,
    options: {
      cause?: unknown
      status?: number
      apiCode?: string
      details?: Readonly<Record<string, unknown>>
    } = {},
  ) {
    super(message, { cause: options.cause })
    this.code = code
    this.status = options.status
    this.apiCode = options.apiCode
    this.details = options.details
  }
}
