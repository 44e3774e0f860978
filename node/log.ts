import { writeSync } from 'node:fs'
import pino, { type DestinationStream, type Logger } from 'pino'

/** Log lines are held until this many bytes wait, or LOG_FLUSH_MS pass. */
export const LOG_BUFFER_BYTES = 4096
export const LOG_FLUSH_MS = 100

let stdout: BufferedOutput | undefined

/**
 * Standard output, buffered. A validator logs ~13 lines a job in a burst, and each went out in a
 * write call of its own, synchronous on a pipe: system time the validator paid, and a read and a
 * write more for whatever collects its output (the devnet's parent process, the container
 * runtime). Lines are held up to LOG_BUFFER_BYTES or LOG_FLUSH_MS, whichever comes first, and
 * written when the process exits, so only a SIGKILL loses the last LOG_FLUSH_MS of lines. Whole
 * lines only, in one write each time. One per process: every logger writing to stdout shares it.
 */
export class BufferedOutput implements DestinationStream {
  readonly #fd: number
  #held: string[] = []
  #bytes = 0

  constructor(fd: number, flushMs: number) {
    this.#fd = fd
    setInterval(() => this.flush(), flushMs).unref()
    process.on('exit', () => this.flush())
  }

  write(line: string): void {
    this.#held.push(line)
    this.#bytes += line.length
    if (this.#bytes >= LOG_BUFFER_BYTES) this.flush()
  }

  flush(): void {
    if (this.#held.length === 0) return
    const text = this.#held.join('')
    this.#held = []
    this.#bytes = 0
    let rest = Buffer.from(text)
    let waits = 0
    while (rest.length > 0) {
      try {
        rest = rest.subarray(writeSync(this.#fd, rest))
      } catch (error) {
        // A full pipe in non-blocking mode: wait for its reader a little, as pino's own streams do.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN' && waits++ < MAX_WAITS) {
          Atomics.wait(PAUSE, 0, 0, WAIT_MS)
          continue
        }
        // A closed or broken output (EPIPE): logging must not take the node down with it.
        return
      }
    }
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4))
const WAIT_MS = 10
const MAX_WAITS = 500

function bufferedStdout(): BufferedOutput {
  stdout ??= new BufferedOutput(1, LOG_FLUSH_MS)
  return stdout
}

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
    options.destination ?? bufferedStdout(),
  )
}

export type { Logger }
