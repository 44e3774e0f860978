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

/**
 * Prints a TcfError as its code and message (a JSON object with --json) and says it did; anything
 * else is a bug, left to surface with its stack.
 */
export function reportError(
  e: unknown,
  json: boolean,
  print: (line: string) => void = console.error,
): boolean {
  if (!(e instanceof TcfError)) return false
  print(
    json ? JSON.stringify({ error: { code: e.code, message: e.message } }) : `error [${e.code}] ${e.message}`,
  )
  return true
}
