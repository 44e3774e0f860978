import yargs, { type Argv } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { useNativeKeccak } from '../native-keccak.ts'
import { useNativeSealing } from '../native-sealing.ts'
import { useNativeSecp256k1 } from '../native-secp256k1.ts'
import { nodeSdkTransport } from '../sdk/node-transport.ts'
import { useSdkTransport } from '../sdk/transport.ts'
import { checkHandler } from './cmds/algo/check/handler.ts'
import { checkOptions } from './cmds/algo/check/options.ts'
import { deployOptions } from './cmds/devnet/deploy/options.ts'
import { resultHandler } from './cmds/job/result/handler.ts'
import { resultOptions } from './cmds/job/result/options.ts'
import { settleHandler } from './cmds/job/settle/handler.ts'
import { settleOptions } from './cmds/job/settle/options.ts'
import { jobStatusHandler } from './cmds/job/status/handler.ts'
import { jobStatusOptions } from './cmds/job/status/options.ts'
import { submitHandler } from './cmds/job/submit/handler.ts'
import { submitOptions } from './cmds/job/submit/options.ts'
import { waitHandler } from './cmds/job/wait/handler.ts'
import { waitOptions } from './cmds/job/wait/options.ts'
import { keyNewHandler } from './cmds/key/new/handler.ts'
import { keyNewOptions } from './cmds/key/new/options.ts'
import { nodeHealthHandler } from './cmds/node/health/handler.ts'
import { nodeHealthOptions } from './cmds/node/health/options.ts'
import { nodeInitHandler } from './cmds/node/init/handler.ts'
import { nodeInitOptions } from './cmds/node/init/options.ts'
import { nodeStartHandler } from './cmds/node/start/handler.ts'
import { nodeStartOptions } from './cmds/node/start/options.ts'
import { nodeStatusHandler } from './cmds/node/status/handler.ts'
import { nodeStatusOptions } from './cmds/node/status/options.ts'
import { claimHandler } from './cmds/pool/claim/handler.ts'
import { claimOptions } from './cmds/pool/claim/options.ts'
import { poolContributeHandler } from './cmds/pool/contribute/handler.ts'
import { poolContributeOptions } from './cmds/pool/contribute/options.ts'
import { poolCreateHandler } from './cmds/pool/create/handler.ts'
import { poolCreateOptions } from './cmds/pool/create/options.ts'
import { earningsHandler } from './cmds/pool/earnings/handler.ts'
import { earningsOptions } from './cmds/pool/earnings/options.ts'
import { runHandler } from './cmds/sandbox/run/handler.ts'
import { runOptions } from './cmds/sandbox/run/options.ts'
import { createHandler } from './cmds/vault/create/handler.ts'
import { createOptions } from './cmds/vault/create/options.ts'
import { keygenHandler } from './cmds/vault/keygen/handler.ts'
import { keygenOptions } from './cmds/vault/keygen/options.ts'
import { listHandler } from './cmds/vault/list/handler.ts'
import { listOptions } from './cmds/vault/list/options.ts'
import { publishHandler } from './cmds/vault/publish/handler.ts'
import { publishOptions } from './cmds/vault/publish/options.ts'
import { serveHandler } from './cmds/vault/serve/handler.ts'
import { serveOptions } from './cmds/vault/serve/options.ts'
import { vaultStatusHandler } from './cmds/vault/status/handler.ts'
import { statusOptions } from './cmds/vault/status/options.ts'
import { reportError } from './errors.ts'
import { globalOptions } from './global-args.ts'

export function buildCli(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('tcf')
    .options(globalOptions)
    .command('vault', 'seller: keys and encrypted vaults', (y) =>
      y
        .command(
          'keygen',
          'generate a vault key set (secret key sealed under a passphrase)',
          keygenOptions,
          (a) => keygenHandler(a),
        )
        .command('create <csv>', 'encrypt a CSV into a vault', createOptions, (a) =>
          createHandler(a as typeof a & { csv: string }),
        )
        .command('publish', 'upload a vault to a node and register it on chain', publishOptions, (a) =>
          publishHandler(a),
        )
        .command('list', 'the vaults a node holds', listOptions, (a) => listHandler(a))
        .command('status', "a vault's privacy budget: epsilon spent and left", statusOptions, (a) =>
          vaultStatusHandler(a),
        )
        .command(
          'serve',
          'release certified results of your vault, sealed to their buyers',
          serveOptions,
          (a) => serveHandler(a),
        )
        .demandCommand(1),
    )
    .command('pool', 'curator and contributor: pooled vaults, contributions and payouts', (y) =>
      y
        .command(
          'create',
          'create a pool under the committee key and register it on chain',
          poolCreateOptions,
          (a) => poolCreateHandler(a),
        )
        .command(
          'contribute',
          'encrypt your records to a pool, sign and submit them',
          poolContributeOptions,
          (a) => poolContributeHandler(a),
        )
        .command('claim', "claim a contributor's share of a settled pool job", claimOptions, (a) =>
          claimHandler(a),
        )
        .command(
          'earnings',
          "a contributor's shares of pool jobs, claimed or not, and its withdrawable balance",
          earningsOptions,
          (a) => earningsHandler(a),
        )
        .demandCommand(1),
    )
    .command('algo', 'buyer: algorithm specs', (y) =>
      y
        .command(
          'check <algo>',
          "compile a spec against a vault's manifest and show its cost",
          checkOptions,
          (a) => checkHandler(a as typeof a & { algo: string }),
        )
        .demandCommand(1),
    )
    .command('job', 'buyer: submit jobs, follow them, open their results, settle them', (y) =>
      y
        .command('submit', 'sign a job, escrow its price and submit it', submitOptions, (a) =>
          submitHandler(a),
        )
        .command('status <id>', "a job's stages and heights", jobStatusOptions, (a) => jobStatusHandler(a))
        .command('wait <id>', 'follow a job until a stage', waitOptions, (a) => waitHandler(a))
        .command('result <id>', 'verify and unseal a released result', resultOptions, (a) => resultHandler(a))
        .command(
          'settle <id>',
          "close a job's escrow on chain from its anchored outcome (idempotent)",
          settleOptions,
          (a) => settleHandler(a),
        )
        .demandCommand(1),
    )
    .command('key', 'account keys for sellers and buyers', (y) =>
      y
        .command('new', 'create an encrypted keystore with a fresh key', keyNewOptions, (a) =>
          keyNewHandler(a),
        )
        .demandCommand(1),
    )
    .command('node', 'operator: the validator daemon', (y) =>
      y
        .command('init', 'create a node home: config, validator key, peer key', nodeInitOptions, (a) =>
          nodeInitHandler(a),
        )
        .command('start', 'run the validator until SIGINT/SIGTERM', nodeStartOptions, (a) =>
          nodeStartHandler(a),
        )
        .command('status', "a node's height, peers and validator set", nodeStatusOptions, (a) =>
          nodeStatusHandler(a),
        )
        .command(
          'health',
          'exit 0 only if the node sees a quorum of peers and its height advances',
          nodeHealthOptions,
          (a) => nodeHealthHandler(a),
        )
        .demandCommand(1),
    )
    .command('devnet', 'developer: local dev networks', (y) =>
      y
        .command(
          'deploy',
          'deploy the contracts to a dev chain and stake validator keys',
          deployOptions,
          async (a) => {
            // Lazily: only a developer's dev chain is ever deployed to; a node never loads this.
            const { deployHandler } = await import('./cmds/devnet/deploy/handler.ts')
            await deployHandler(a)
          },
        )
        .demandCommand(1),
    )
    .command('sandbox', 'phase 1: the trusted run on one machine', (y) =>
      y
        .command('run', 'evaluate a spec on a vault, decrypt, and score the data quality', runOptions, (a) =>
          runHandler(a),
        )
        .demandCommand(1),
    )
    .demandCommand(1)
    .strict()
    .help()
    .fail((message, error, y) => {
      if (error) throw error
      console.error(`${y.help()}\n\n${message}`)
      process.exit(2)
    })
}

/** Runs the CLI; typed errors print their code and message and exit 1, never a stack trace. */
export async function main(argv = hideBin(process.argv)): Promise<void> {
  const json = argv.includes('--json')
  // Every command signs or checks signatures (the agent checks each certificate's); where the addon
  // cannot load, JS does the same work slower, and the daemon says so in its log. The agent seals
  // every release: its ECDH on the addon too where it loads, on node:crypto where not. Job ids,
  // records' ids and EIP-712 digests are keccak256, on the addon where it loads.
  useNativeSecp256k1()
  useNativeSealing()
  useNativeKeccak()
  // Buyers' and sellers' commands and the agent reach nodes and the chain on Node's http client.
  useSdkTransport(nodeSdkTransport())
  try {
    await buildCli(argv).parseAsync()
  } catch (e) {
    if (!reportError(e, json)) throw e
    process.exitCode = 1
  }
}
