import { CodedError } from '../../protocol/errors.ts'
/** Stable machine-readable codes of a refused catch-up: callers branch on these, never on messages. */
export type CatchUpErrorCode =
  /** The peer's head record carries no valid commit certificate: nothing below it is fetched. */
  | 'HEAD_UNCERTIFIED'
  /** A record below the certified head is not its parent (height or block hash), or one is missing. */
  | 'BROKEN_CHAIN'
  /** A record's own certificate does not verify. */
  | 'RECORD_UNCERTIFIED'
  /** The peer's certified chain does not extend this node's: it forks below the node's head. */
  | 'FORK'
  /**
   * A record is certified in another epoch than the one the chain says follows its parent: the
   * epoch changed at another height than the registry's.
   */
  | 'EPOCH_MISMATCH'

export class CatchUpError extends CodedError<CatchUpErrorCode> {}

/** Why the consensus app (epochs, block judgement) cannot go on at a height. */
export type ConsensusAppErrorCode =
  /** The registry lists no validator for the epoch: no height of it could ever be decided. */
  | 'NO_VALIDATORS'
  /** The chain did not make a proposed block's chain number final in time: the block is not voted for. */
  | 'CHAIN_NOT_FINAL'
  /** An epoch before the node's current one was asked for: its sets are no longer consulted. */
  | 'PAST_EPOCH'

export class ConsensusAppError extends CodedError<ConsensusAppErrorCode> {}
