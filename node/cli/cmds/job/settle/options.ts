import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const settleOptions = {
  ...globalOptions,
  // A positional, declared so that yargs keeps a 0x id a string instead of parsing it as a number.
  id: { type: 'string', demandOption: true, description: 'the job id' },
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  key: {
    type: 'string',
    description: 'keystore file of the account paying the gas (anyone; not needed if already settled)',
  },
  passphraseFile: { type: 'string', description: 'file holding the key passphrase' },
} satisfies Record<string, Options>

export type SettleArgs = InferredOptionTypes<typeof settleOptions>
