import { CodedError } from '../../protocol/errors.ts'

/** Why the node's replicated job state cannot be rebuilt or charged: its own data is at fault. */
export type JobStateErrorCode =
  /** The store lacks a block below its latest height: the ledger cannot be replayed. */
  | 'STORE_GAP'
  /** An admitted job's vault manifest is not loaded, so its privacy charge cannot be computed. */
  | 'VAULT_NOT_LOADED'

export class JobStateError extends CodedError<JobStateErrorCode> {}
