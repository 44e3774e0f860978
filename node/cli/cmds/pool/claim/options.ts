import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const claimOptions = {
  ...globalOptions,
  job: { type: 'string', demandOption: true, description: 'the id of a settled job on a pool' },
  node: { type: 'string', demandOption: true, description: "a node's API URL (it serves the job's payouts)" },
  key: {
    type: 'string',
    demandOption: true,
    description: "keystore file of the contributor's key (it pays the gas)",
  },
  passphraseFile: { type: 'string', description: 'file holding the key passphrase' },
  for: {
    type: 'string',
    description: "claim for this contributor's address instead of the key's own (it is credited, not you)",
  },
  withdraw: {
    type: 'boolean',
    default: false,
    description: 'also withdraw the JobMarket balance to the key',
  },
} satisfies Record<string, Options>

export type ClaimArgs = InferredOptionTypes<typeof claimOptions>
