import { TcfError } from '../protocol/errors.ts'
/** Stable machine-readable codes: hosts branch on these, never on messages. */
export type ConsensusErrorCode =
  | 'invalid-validator-set'
  | 'invalid-params'
  | 'not-started'
  | 'height-regression'
  | 'wal-height-mismatch'

/**
 * Raised only for host misuse of the core (a bug in the driver). Faulty or
 * malicious peers never cause a throw: their messages are ignored or turned
 * into evidence, because a peer must not be able to crash a validator.
 */
export class ConsensusError extends TcfError {
  readonly code: ConsensusErrorCode

  constructor(code: ConsensusErrorCode, message: string) {
    super(message)
    this.name = 'ConsensusError'
    this.code = code
  }
}
