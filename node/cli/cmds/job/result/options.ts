import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const resultOptions = {
  ...globalOptions,
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  sealingKey: {
    type: 'string',
    demandOption: true,
    description: 'the sealing key file `tcf job submit` wrote',
  },
} satisfies Record<string, Options>

export type ResultArgs = InferredOptionTypes<typeof resultOptions> & { id: string }
