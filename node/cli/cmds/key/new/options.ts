import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const keyNewOptions = {
  ...globalOptions,
  out: { type: 'string', demandOption: true, description: 'the keystore file to write (must not exist)' },
  passphraseFile: { type: 'string', description: 'file holding the passphrase to encrypt the key with' },
} satisfies Record<string, Options>

export type KeyNewArgs = InferredOptionTypes<typeof keyNewOptions>
