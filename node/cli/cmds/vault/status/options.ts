import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const statusOptions = {
  ...globalOptions,
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  vault: { type: 'string', demandOption: true, description: 'the vault id' },
} satisfies Record<string, Options>

export type StatusArgs = InferredOptionTypes<typeof statusOptions>
