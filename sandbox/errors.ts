import { TcfError } from '../protocol/errors.ts'
/**
 * Every failure the sandbox reports is a `SandboxError` with a stable `code`,
 * so callers (CLI, node daemon, API) can branch on it and show users a clear
 * message. `field` names the offending input where there is one: a spec path
 * (`outputs.fit.model.weights.bmi`), a CSV position (`line 12, column bmi`), a
 * key file.
 */
export type SandboxErrorCode =
  | 'SCHEMA_INVALID'
  | 'POLICY_INVALID'
  | 'SPEC_INVALID'
  | 'CSV_INVALID'
  | 'KEY_INVALID'
  | 'KEY_MISMATCH'
  | 'PASSPHRASE_WRONG'
  | 'CIPHERTEXT_INVALID'
  /** a bit-packed ciphertext blob is malformed (truncated, wrong profile, bad lengths); `field` names it */
  | 'PACKED_INVALID'
  | 'BLOB_MISSING'
  | 'BLOB_CORRUPT'
  | 'MANIFEST_INVALID'
  | 'PROFILE_UNKNOWN'
  | 'DEPTH_EXCEEDED'
  | 'HEADROOM_EXCEEDED'
  | 'OP_NOT_ALLOWED'
  | 'AGGREGATION_TOO_SMALL'
  | 'COST_EXCEEDED'
  | 'UNKNOWN_COLUMN'
  | 'COLUMN_TYPE'
  | 'TRANSPARENT_RESULT'
  | 'DEADLINE_EXCEEDED'
  | 'MEMORY_EXCEEDED'
  | 'WORKER_CRASHED'
  /** worker-side code was started on the main thread */
  | 'NOT_IN_WORKER'
  | 'RESULT_INVALID'
  /** an input file (CSV, schema, keys) cannot be read; `field` is its path */
  | 'FILE_UNREADABLE'
  /** the output of `vault create` exists (or another run got there first); `field` is its path */
  | 'OUTPUT_EXISTS'
  /** writing the vault failed (no space, no permission...); `field` is the path */
  | 'VAULT_IO'
  | 'ZERO_WEIGHT'
  | 'EPSILON_EXCEEDED'
  | 'BUDGET_EXHAUSTED'
  /** a committee member's privacy noise would not fit the result ciphertext's modulus */
  | 'NOISE_TOO_WIDE'
  /** a pool snapshot's contribution counts that no snapshot can have, or a circuit compiled for another snapshot */
  | 'SNAPSHOT_INVALID'
  /** a pool job that leaves a slot of the layout unnoised: its threshold release opens every slot (dp/pool-slot-noise.ts) */
  | 'SLOT_UNCOVERED'

export class SandboxError extends TcfError {
  override name = 'SandboxError'
  readonly code: SandboxErrorCode
  readonly field: string | undefined

  constructor(code: SandboxErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.field = options?.field
  }

  toJSON(): { name: string; code: SandboxErrorCode; field?: string; message: string } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.field ? { field: this.field } : {}),
    }
  }
}

/** A spec the compiler will not turn into a circuit. */
export class CompileError extends SandboxError {
  override name = 'CompileError'
}

/** A CSV cell or row that does not fit the vault schema. */
export class CsvError extends SandboxError {
  override name = 'CsvError'
  readonly line: number
  readonly column: string | undefined

  constructor(message: string, line: number, column?: string) {
    const where = column === undefined ? `line ${line}` : `line ${line}, column ${column}`
    super('CSV_INVALID', `${where}: ${message}`, { field: where })
    this.line = line
    this.column = column
  }
}

/** A job that broke a resource limit or whose worker died; the pool stays healthy. */
export class EvaluationError extends SandboxError {
  override name = 'EvaluationError'
}

export function isSandboxError(e: unknown): e is SandboxError {
  return e instanceof SandboxError
}
