import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const resultOptions = {
  ...globalOptions,
  // A positional, declared so that yargs keeps a 0x id a string instead of parsing it as a number.
  id: { type: 'string', demandOption: true, description: 'the job id' },
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  sealingKey: {
    type: 'string',
    demandOption: true,
    description: 'the sealing key file `tcf job submit` wrote',
  },
} satisfies Record<string, Options>

export type ResultArgs = InferredOptionTypes<typeof resultOptions>
