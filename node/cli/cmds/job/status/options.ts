import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const jobStatusOptions = {
  ...globalOptions,
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
} satisfies Record<string, Options>

export type JobStatusArgs = InferredOptionTypes<typeof jobStatusOptions> & { id: string }
