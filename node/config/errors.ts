import { TcfError } from '../../protocol/errors.ts'
export type ConfigErrorCode = 'CONFIG_UNREADABLE' | 'CONFIG_INVALID' | 'HOME_EXISTS' | 'KEY_UNREADABLE'

export class ConfigError extends TcfError {
  override name = 'ConfigError'
  readonly code: ConfigErrorCode

  constructor(code: ConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
