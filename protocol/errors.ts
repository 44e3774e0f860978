/**
 * The one base of every error tcf raises on purpose. `code` is stable: callers
 * (the CLI, the API, peers' scoring) branch on it, never on the message.
 */
export abstract class TcfError extends Error {
  abstract readonly code: string

  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Something that was thrown but is not an Error (a string, a bare rejection reason). */
export class ThrownValueError extends TcfError {
  override readonly name = 'ThrownValueError'
  readonly code = 'NOT_AN_ERROR'
  readonly value: unknown

  constructor(value: unknown) {
    super(String(value))
    this.value = value
  }
}

/** `thrown` as an Error, for the logs, aborts and callbacks that need one. */
export const asError = (thrown: unknown): Error =>
  thrown instanceof Error ? thrown : new ThrownValueError(thrown)

/**
 * The usual shape of a folder's error class: a TcfError whose code, one of the folder's stable
 * codes, is given where it is thrown. `class XError extends CodedError<XErrorCode> {}`.
 */
export abstract class CodedError<Code extends string> extends TcfError {
  readonly code: Code

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** Why untrusted bytes were refused. Stable: peers log and score on these. */
export type DecodeErrorCode =
  | 'OVERSIZED'
  | 'MALFORMED'
  | 'BAD_VERSION'
  | 'SCHEMA'
  | 'NON_CANONICAL'
  | 'BAD_CONTENT_HASH'

/** The only error decoding untrusted bytes may throw. */
export class DecodeError extends TcfError {
  override readonly name = 'DecodeError'
  readonly code: DecodeErrorCode
  /** Message kind being decoded, e.g. 'JobRequest'. */
  readonly kind: string
  /** Field path of the offending value; empty when the whole message is at fault. */
  readonly path: readonly (string | number)[]

  constructor(code: DecodeErrorCode, kind: string, path: readonly (string | number)[], detail: string) {
    super(`${kind}: ${code}${path.length > 0 ? ` at ${path.join('.')}` : ''}: ${detail}`)
    this.code = code
    this.kind = kind
    this.path = path
  }
}

/** A local value could not be encoded: a programming error on our side, never a peer's. */
export class EncodeError extends TcfError {
  override readonly name = 'EncodeError'
  readonly code: 'UNENCODABLE' | 'OVERSIZED' | 'SCHEMA'

  constructor(code: 'UNENCODABLE' | 'OVERSIZED' | 'SCHEMA', detail: string) {
    super(detail)
    this.code = code
  }
}
