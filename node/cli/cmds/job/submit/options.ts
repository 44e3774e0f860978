import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const submitOptions = {
  ...globalOptions,
  vault: { type: 'string', demandOption: true, description: 'the vault id' },
  algo: { type: 'string', demandOption: true, description: 'the algorithm spec (JSON)' },
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  buyerKey: {
    type: 'string',
    demandOption: true,
    description: "the buyer's keystore file (signs the request, pays the escrow)",
  },
  passphraseFile: { type: 'string', description: 'file holding the buyer key passphrase' },
  deadlineHeights: {
    type: 'number',
    description: 'heights until the job fails unless released (default 600)',
  },
  sealingKeyOut: {
    type: 'string',
    description:
      'where to save the key the result is sealed to (default: <jobId>.sealing.key beside the buyer key)',
  },
} satisfies Record<string, Options>

export type SubmitArgs = InferredOptionTypes<typeof submitOptions>
