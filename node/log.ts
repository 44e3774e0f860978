import pino, { type Logger } from 'pino'

/**
 * The node's JSON logger. Context (module, height, jobId) goes in child
 * loggers and fields; anything that could hold key material is redacted
 * by path as a last line of defence; code never logs keys on purpose.
 */
export function createLogger(options: {
  level: string
  name?: string
  destination?: NodeJS.WritableStream
}): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'tcf-node',
      redact: {
        paths: [
          'privateKey',
          '*.privateKey',
          'passphrase',
          '*.passphrase',
          'secretKey',
          '*.secretKey',
          'validatorKey',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? process.stdout,
  )
}

export type { Logger }
