import { TcfError } from '../../protocol/errors.ts'
export type CliErrorCode =
  | 'PASSPHRASE_REQUIRED'
  | 'PASSPHRASE_UNREADABLE'
  | 'FILE_UNREADABLE'
  | 'JSON_INVALID'
  | 'ARGUMENT_INVALID'
  | 'NODE_UNHEALTHY'

/** A CLI-level failure (arguments, files), reported like sandbox errors: code and message. */
export class CliError extends TcfError {
  override name = 'CliError'
  readonly code: CliErrorCode

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
