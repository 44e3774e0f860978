import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const createOptions = {
  ...globalOptions,
  schema: { type: 'string', demandOption: true, description: 'the vault schema (JSON)' },
  policy: { type: 'string', demandOption: true, description: 'the usage policy (JSON)' },
  keys: { type: 'string', demandOption: true, description: 'the key directory from `tcf vault keygen`' },
  out: {
    type: 'string',
    demandOption: true,
    description: 'directory to write the vault to (must not exist)',
  },
  workers: { type: 'number', description: 'encryption worker threads (default: every core)' },
  passphraseFile: { type: 'string', description: 'file holding the key passphrase' },
} satisfies Record<string, Options>

export type CreateArgs = InferredOptionTypes<typeof createOptions> & { csv: string }
