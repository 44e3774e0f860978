import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const deployOptions = {
  ...globalOptions,
  rpcUrl: {
    type: 'string',
    default: 'http://127.0.0.1:8545',
    description: 'a dev chain whose first accounts are funded (the anvil defaults)',
  },
  validators: { type: 'number', default: 4, description: 'validator keys to register with stake' },
  out: {
    type: 'string',
    demandOption: true,
    description: 'directory for addresses.json and each validator-<i>/{validator.key, peer.key, bootstrap}',
  },
  peerHost: {
    type: 'string',
    default: 'validator-{i}',
    description: 'host name of validator i in the bootstrap lists ({i} is replaced)',
  },
  p2pBasePort: { type: 'number', default: 7600, description: 'validator i listens on this port + i' },
} satisfies Record<string, Options>

export type DeployArgs = InferredOptionTypes<typeof deployOptions>
