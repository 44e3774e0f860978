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
  /** no escrow was ever opened for the job */
  | 'NO_ESCROW'
  /** the job's escrow is open and nothing yet proves how to close it (not released, failed or expired) */
  | 'NOT_SETTLEABLE'
  /** a threshold release's shares disagree with each other or with the certified job */
  | 'RESULT_MISMATCH'
  /** fewer than t members' shares of a threshold release are here yet */
  | 'RESULT_INCOMPLETE'
  /** the committee key a node serves does not hash to the one registered on chain */
  | 'COMMITTEE_KEY_MISMATCH'

export class ClientError extends TcfError {
  override name = 'ClientError'
  readonly code: ClientErrorCode
  /** HTTP status, for API_ERROR */
  readonly status: number | undefined
  /** the node's error code, for API_ERROR */
  readonly apiCode: string | undefined

  constructor(
    code: ClientErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; apiCode?: string } = {},
  ) {
    super(message, { cause: options.cause })
    this.code = code
    this.status = options.status
    this.apiCode = options.apiCode
  }
}
