import { CodedError } from '../protocol/errors.ts'

/** Why a local devnet (processes or chaos lab) could not be brought up or driven. */
export type DevnetErrorCode =
  /** A node or validator process exited before its API answered; its log file says why. */
  | 'NODE_EXITED'
  /** A node's API did not answer within the start timeout. */
  | 'START_TIMEOUT'
  /** No validator's API answers, so there is no one to send work to. */
  | 'NO_VALIDATOR_ANSWERS'
  /** The proposer the validator set names is none of the lab's validators. */
  | 'UNKNOWN_PROPOSER'
  /** A listening socket reported no TCP port to hand out. */
  | 'NO_PORT'
  /** A scenario's contributions did not all reach every node's log in time. */
  | 'SCENARIO_TIMEOUT'
  /** A scenario ended without what it checks (a snapshot, say). */
  | 'SCENARIO_FAILED'
  /** A command-line option names something the tool does not have (a bench mode, say). */
  | 'BAD_OPTION'

export class DevnetError extends CodedError<DevnetErrorCode> {}
