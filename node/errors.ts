import { CodedError, TcfError } from '../protocol/errors.ts'

/** Stable codes of the daemon's own failures: callers branch on these, never on messages. */
export type NodeErrorCode =
  /** Used before start(): a part the call needs (the network) is not running yet. */
  | 'NOT_STARTED'
  /** An admitted job's vault is not in memory, though admission loaded it: a bug, not an input. */
  | 'VAULT_NOT_LOADED'
  /** A blob the node checked it holds is gone from its store. */
  | 'BLOB_MISSING'
  /** The manifest the chain registers for a vault hashes right but names another vault. */
  | 'MANIFEST_MISMATCH'
  /** An admitted job came back from its executor unevaluated: a bug, not an input. */
  | 'EVALUATION_SKIPPED'
  /** The payouts a node would serve for a pool job do not hash to its certified result: a bug. */
  | 'PAYOUTS_MISMATCH'
  /** A vault is not warmed before its jobs (deactivated, a pool, over the warming size cap): its jobs fetch at admission. */
  | 'WARM_DECLINED'
  /** An attestation handed to this node's gossip is another validator's: a batch speaks for one. */
  | 'FOREIGN_ATTESTATION'

export class NodeError extends CodedError<NodeErrorCode> {}

/**
 * Why the node turned down what a caller asked of it. `code` is the stable name of the rule that
 * refused; the class says what kind of refusal it is, and the API answers each kind with one
 * status (node/api/refusals.ts). The domain never speaks HTTP.
 */
export abstract class Refusal extends TcfError {
  readonly code: string
  /** facts the caller can act on (say, the blobs still missing), sent along with the code */
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(code: string, message: string, details?: Readonly<Record<string, unknown>>) {
    super(message)
    this.code = code
    this.details = details
  }
}

/** The body is not what it claims to be: it does not decode as the message it should be. */
export class MalformedRequest extends Refusal {}

/** A signature the request needs is missing, or does not verify. */
export class Unauthenticated extends Refusal {}

/** The signer may not do this: not the vault's owner, not a validator. */
export class NotPermitted extends Refusal {}

/** The job or vault is not in a state that allows it: closed, deactivated, announced by another key. */
export class StateConflict extends Refusal {}

/** A rule refused it: the admission rules, a blob missing, a result that is not the certified one. */
export class Refused extends Refusal {}

/** The signer's storage quota on this node would be exceeded. */
export class QuotaExceeded extends Refusal {}

/** The signer has too many things in flight here (vaults announced and not registered). */
export class TooManyPending extends Refusal {}

/** This node has no room for anyone's request of this kind just now; a retry later may pass. */
export class NodeBusy extends Refusal {}
