import { TcfError } from '../../protocol/errors.ts'
/** Stable machine-readable codes: callers branch on these, never on messages. */
export type StorageErrorCode =
  /** The store is not open (never opened, or closed). */
  | 'NOT_OPEN'
  /** A caller handed over a value that is not what the store keeps (schema refusal). */
  | 'INVALID_RECORD'
  /** Bytes on disk do not parse as what their sublevel holds: the store was tampered with or damaged. */
  | 'CORRUPT_RECORD'
  /** sha256 of a blob's bytes is not the id it was stored under. */
  | 'BLOB_ID_MISMATCH'
  /** A block, its height and its certificate do not belong together. */
  | 'BLOCK_MISMATCH'
  /** commitBlock skipped a height: blocks are stored contiguously. */
  | 'HEIGHT_GAP'
  /** A different block is already stored at this height: a safety violation, never overwritten. */
  | 'CONFLICTING_BLOCK'
  /** A WAL append for a height that was already pruned (the driver went backwards). */
  | 'WAL_HEIGHT_PRUNED'
  /** A WAL write failed; nothing appended since can be trusted to be durable. */
  | 'WAL_WRITE_FAILED'

export class StorageError extends TcfError {
  override readonly name = 'StorageError'
  readonly code: StorageErrorCode

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
