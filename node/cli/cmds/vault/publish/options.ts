import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const publishOptions = {
  ...globalOptions,
  vault: { type: 'string', demandOption: true, description: 'the vault directory from `tcf vault create`' },
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  ownerKey: {
    type: 'string',
    demandOption: true,
    description: "the vault owner's keystore file (registers the vault on chain, signs uploads)",
  },
  passphraseFile: { type: 'string', description: 'file holding the owner key passphrase' },
} satisfies Record<string, Options>

export type PublishArgs = InferredOptionTypes<typeof publishOptions>
