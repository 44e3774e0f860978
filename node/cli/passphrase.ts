import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline/promises'
import { Writable } from 'node:stream'
import { CliError } from './errors.ts'

export interface PassphraseOptions {
  readonly passphraseFile?: string | undefined
}

/**
 * The vault key's passphrase, from (in order) --passphrase-file, the
 * TCF_PASSPHRASE environment variable, or a prompt that does not echo.
 * Never from a plain command-line flag: those end up in shell history and
 * in `ps`.
 */
export async function readPassphrase(options: PassphraseOptions, confirm = false): Promise<string> {
  if (options.passphraseFile) {
    const text = await readFile(options.passphraseFile, 'utf8').catch((cause: unknown) => {
      throw new CliError('PASSPHRASE_UNREADABLE', `cannot read ${options.passphraseFile}`, { cause })
    })
    return text.replace(/\r?\n$/, '')
  }
  const env = process.env.TCF_PASSPHRASE
  if (env !== undefined && env !== '') return env
  if (!process.stdin.isTTY) {
    throw new CliError(
      'PASSPHRASE_REQUIRED',
      'no passphrase: use --passphrase-file or TCF_PASSPHRASE, or run in a terminal',
    )
  }
  const first = await prompt('passphrase: ')
  if (confirm && (await prompt('repeat passphrase: ')) !== first) {
    throw new CliError('PASSPHRASE_REQUIRED', 'the passphrases differ')
  }
  return first
}

async function prompt(question: string): Promise<string> {
  process.stderr.write(question)
  const silent = new Writable({ write: (_chunk, _enc, done) => done() })
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true })
  try {
    return await rl.question('')
  } finally {
    rl.close()
    process.stderr.write('\n')
  }
}
