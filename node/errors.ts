import { TcfError } from '../protocol/errors.ts'

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

export class NodeError extends TcfError {
  override readonly name = 'NodeError'
  readonly code: NodeErrorCode

  constructor(code: NodeErrorCode, message: string) {
    super(message)
    this.code = code
  }
}
