import type { InferredOptionTypes, Options } from 'yargs'
import { globalOptions } from '../../../global-args.ts'

export const nodeInitOptions = {
  ...globalOptions,
  home: { type: 'string', demandOption: true, description: 'the node home directory to create' },
  addresses: {
    type: 'string',
    demandOption: true,
    description:
      'JSON file with the contract addresses {validatorRegistry, vaultRegistry, jobMarket, anchor}',
  },
  rpcUrl: { type: 'string', default: 'http://127.0.0.1:8545', description: 'the chain JSON-RPC endpoint' },
  chainId: { type: 'number', default: 31337, description: 'the chain id' },
  listen: {
    type: 'string',
    array: true,
    description: 'p2p multiaddrs to listen on (default /ip4/127.0.0.1/tcp/7600)',
  },
  bootstrap: {
    type: 'string',
    array: true,
    description: 'the other validators, as /ip4/…/tcp/…/p2p/<peer id>',
  },
  apiPort: { type: 'number', description: 'HTTP API port (default 7700)' },
  importPeerKey: {
    type: 'string',
    description: 'file holding the libp2p key (protobuf bytes) to import instead of generating one',
  },
  importKey: {
    type: 'string',
    description: 'file holding the validator private key (0x hex) to import instead of generating one',
  },
  passphraseFile: {
    type: 'string',
    description: 'file holding the passphrase that encrypts the validator key',
  },
} satisfies Record<string, Options>

export type NodeInitArgs = InferredOptionTypes<typeof nodeInitOptions>
