import type { InferredOptionTypes, Options } from 'yargs'
import { DEFAULT_PROFILE, PROFILES } from '../../../../../sandbox/index.ts'
import { globalOptions } from '../../../global-args.ts'

export const keygenOptions = {
  ...globalOptions,
  out: { type: 'string', demandOption: true, description: 'directory to write the key files to' },
  profile: {
    type: 'string',
    default: DEFAULT_PROFILE,
    choices: Object.keys(PROFILES),
    description: 'HE parameter profile',
  },
  passphraseFile: { type: 'string', description: 'file holding the passphrase that seals the secret key' },
} satisfies Record<string, Options>

export type KeygenArgs = InferredOptionTypes<typeof keygenOptions>
