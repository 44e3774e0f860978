import { TcfError } from '../../protocol/errors.ts'
/** Stable machine-readable codes: callers branch on these, never on messages. */
export type ChainErrorCode =
  /** Used before start() or after stop(). */
  | 'NOT_STARTED'
  /** The RPC endpoint kept failing with transient errors until the retries ran out. */
  | 'RPC_UNAVAILABLE'
  /** A contract call reverted; `reason` is the Solidity custom error's name. */
  | 'REVERTED'
  /** A sent transaction was not mined before the deadline, even after fee bumps. */
  | 'TX_TIMEOUT'
  /** The node refused a transaction for a reason retrying cannot fix (funds, fee cap, nonce conflicts). */
  | 'TX_REJECTED'
  /** A block whose results root is zero carries no outcome and cannot be anchored (Anchor.EmptyResults). */
  | 'NOTHING_TO_ANCHOR'
  /** The certificate is not for this header (height, epoch or block hash differ). */
  | 'CERTIFICATE_MISMATCH'
  /** A precommit is by a validator outside the epoch's set. */
  | 'SIGNER_NOT_IN_SET'
  /** A block number the chain has not produced (or made final) yet. */
  | 'BLOCK_UNAVAILABLE'
  /** The ValidatorRegistry names no validator for the epoch: there is no one to agree with. */
  | 'NO_VALIDATORS'
  /** A contract's ABI lacks an event or function this client relies on: the artifacts are not ours. */
  | 'ABI_MISMATCH'

export class ChainError extends TcfError {
  override readonly name = 'ChainError'
  readonly code: ChainErrorCode
  /** For REVERTED: the custom error name, e.g. 'StaleEpoch'. */
  readonly reason: string | undefined

  constructor(code: ChainErrorCode, message: string, options: { cause?: unknown; reason?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.reason = options.reason
  }
}
