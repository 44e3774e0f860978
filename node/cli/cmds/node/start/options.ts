import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const nodeStartOptions = {
  ...globalOptions,
  home: { type: 'string', demandOption: true, description: 'the node home directory' },
  passphraseFile: { type: 'string', description: 'file holding the validator key passphrase' },
} satisfies Record<string, Options>

export type NodeStartArgs = InferredOptionTypes<typeof nodeStartOptions>
