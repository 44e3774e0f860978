import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const poolContributeOptions = {
  ...globalOptions,
  pool: { type: 'string', demandOption: true, description: 'the pool id' },
  records: {
    type: 'string',
    demandOption: true,
    description: "your records (CSV with the pool schema's header)",
  },
  key: {
    type: 'string',
    demandOption: true,
    description: 'your signing key: a keystore file (`tcf key new`); a contributor needs no other key',
  },
  sequence: { type: 'number', description: 'your counter in the pool (default: random)' },
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  passphraseFile: { type: 'string', description: 'file holding the keystore passphrase' },
} satisfies Record<string, Options>

export type PoolContributeArgs = InferredOptionTypes<typeof poolContributeOptions>
