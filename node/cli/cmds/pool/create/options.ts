import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const poolCreateOptions = {
  ...globalOptions,
  schema: { type: 'string', demandOption: true, description: 'the pool schema (JSON)' },
  ops: {
    type: 'array',
    string: true,
    demandOption: true,
    description: 'the algorithm specs buyers will run (JSON files): the pool holds exactly what they need',
  },
  policy: { type: 'string', demandOption: true, description: 'the usage policy (JSON): ops, price, budget' },
  committee: {
    type: 'boolean',
    default: true,
    description: "encrypted under the validator committee's key (a pool always is)",
  },
  epoch: { type: 'number', description: "the committee's epoch (default: the chain's current one)" },
  maxRecords: { type: 'number', demandOption: true, description: 'the most records one contribution holds' },
  perWindow: { type: 'number', default: 1, description: 'contributions one contributor may make per window' },
  windowBlocks: { type: 'number', default: 1000, description: 'a window, in heights' },
  minContributors: {
    type: 'number',
    default: 10,
    description: 'the least number of contributors a released number may describe',
  },
  scaleBits: { type: 'number', description: 'log2 of the encoding scale (lower holds more contributions)' },
  node: { type: 'string', demandOption: true, description: "a node's API URL" },
  curatorKey: {
    type: 'string',
    demandOption: true,
    description: "the curator's keystore file (registers the pool on chain, owns it, may ban contributors)",
  },
  passphraseFile: { type: 'string', description: 'file holding the keystore passphrase' },
  out: { type: 'string', demandOption: true, description: 'directory to write the pool to (must not exist)' },
} satisfies Record<string, Options>

export type PoolCreateArgs = InferredOptionTypes<typeof poolCreateOptions>
