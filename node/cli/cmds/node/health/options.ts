import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const nodeHealthOptions = {
  ...globalOptions,
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  minPeers: {
    type: 'number',
    description: 'peers it must see (default: enough that it and they make a quorum of the validator set)',
  },
  within: {
    type: 'number',
    default: 5,
    description: 'seconds in which its consensus height must advance',
  },
} satisfies Record<string, Options>

export type NodeHealthArgs = InferredOptionTypes<typeof nodeHealthOptions>
