import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const runOptions = {
  ...globalOptions,
  vault: { type: 'string', demandOption: true, description: 'the vault directory' },
  algo: { type: 'string', demandOption: true, description: 'the algorithm spec (JSON)' },
  keys: { type: 'string', demandOption: true, description: "the vault's key directory" },
  passphraseFile: { type: 'string', description: 'file holding the key passphrase' },
} satisfies Record<string, Options>

export type RunArgs = InferredOptionTypes<typeof runOptions>
