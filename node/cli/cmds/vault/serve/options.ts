import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const serveOptions = {
  ...globalOptions,
  vault: { type: 'string', demandOption: true, description: 'the vault directory' },
  keys: {
    type: 'string',
    demandOption: true,
    description: "the vault's key directory (its secret key decrypts)",
  },
  node: {
    type: 'string',
    array: true,
    demandOption: true,
    description: 'node API URL; repeat for fallbacks that serve blocks and result bundles',
  },
  ownerKey: {
    type: 'string',
    demandOption: true,
    description: "the vault owner's keystore file (signs releases)",
  },
  passphraseFile: {
    type: 'string',
    description: 'file holding the passphrase of the vault key and the owner key',
  },
  once: { type: 'boolean', default: false, description: 'serve the jobs awaiting release now, then exit' },
  pollMs: { type: 'number', default: 1000, description: 'how often to ask the node for jobs' },
} satisfies Record<string, Options>

export type ServeArgs = InferredOptionTypes<typeof serveOptions>
