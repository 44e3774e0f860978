import type { InferredOptionTypes, Options } from 'yargs'
import { JOB_STAGES } from '../../../../sdk/index.ts'
import { globalOptions } from '../../../global-args.ts'

export const waitOptions = {
  ...globalOptions,
  // A positional, declared so that yargs keeps a 0x id a string instead of parsing it as a number.
  id: { type: 'string', demandOption: true, description: 'the job id' },
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  stage: { type: 'string', choices: JOB_STAGES, default: 'released', description: 'the stage to wait for' },
  timeout: { type: 'number', default: 300, description: 'seconds to wait before giving up (TIMEOUT)' },
} satisfies Record<string, Options>

export type WaitArgs = InferredOptionTypes<typeof waitOptions>
