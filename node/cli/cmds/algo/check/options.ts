import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const checkOptions = {
  ...globalOptions,
  vault: { type: 'string', demandOption: true, description: 'the vault directory (its manifest is read)' },
} satisfies Record<string, Options>

export type CheckArgs = InferredOptionTypes<typeof checkOptions> & { algo: string }
