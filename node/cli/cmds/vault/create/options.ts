import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const createOptions = {
  ...globalOptions,
  schema: { type: 'string', demandOption: true, description: 'the vault schema (JSON)' },
  policy: { type: 'string', demandOption: true, description: 'the usage policy (JSON)' },
  keys: { type: 'string', description: 'the key directory from `tcf vault keygen` (owner mode)' },
  committee: {
    type: 'boolean',
    default: false,
    description:
      "encrypt under the validator committee's key instead (no secret key, no agent); needs --node",
  },
  epoch: { type: 'number', description: "the committee's epoch (default: the chain's current one)" },
  node: { type: 'string', description: "a node's API URL, to fetch the committee key from (--committee)" },
  out: {
    type: 'string',
    demandOption: true,
    description: 'directory to write the vault to (must not exist)',
  },
  workers: { type: 'number', description: 'encryption worker threads (default: every core)' },
  passphraseFile: { type: 'string', description: 'file holding the key passphrase' },
} satisfies Record<string, Options>

export type CreateArgs = InferredOptionTypes<typeof createOptions> & { csv: string }
