import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const earningsOptions = {
  ...globalOptions,
  node: { type: 'string', demandOption: true, description: "a node's API URL (it serves the jobs' payouts)" },
  key: { type: 'string', description: "keystore file of the contributor's key" },
  passphraseFile: { type: 'string', description: 'file holding the key passphrase' },
  address: { type: 'string', description: 'the contributor address, instead of a key (read only)' },
  pool: { type: 'string', description: "only this pool's jobs (its vault id)" },
} satisfies Record<string, Options>

export type EarningsArgs = InferredOptionTypes<typeof earningsOptions>
