import yargs, { type Argv } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { isSandboxError } from '../../sandbox/index.ts'
import { ConfigError } from '../config/index.ts'
import { checkHandler } from './cmds/algo/check/handler.ts'
import { checkOptions } from './cmds/algo/check/options.ts'
import { nodeInitHandler } from './cmds/node/init/handler.ts'
import { nodeInitOptions } from './cmds/node/init/options.ts'
import { nodeStartHandler } from './cmds/node/start/handler.ts'
import { nodeStartOptions } from './cmds/node/start/options.ts'
import { runHandler } from './cmds/sandbox/run/handler.ts'
import { runOptions } from './cmds/sandbox/run/options.ts'
import { createHandler } from './cmds/vault/create/handler.ts'
import { createOptions } from './cmds/vault/create/options.ts'
import { keygenHandler } from './cmds/vault/keygen/handler.ts'
import { keygenOptions } from './cmds/vault/keygen/options.ts'
import { CliError } from './errors.ts'
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
    .command('node', 'operator: the validator daemon', (y) =>
      y
        .command('init', 'create a node home: config, validator key, peer key', nodeInitOptions, (a) =>
          nodeInitHandler(a),
        )
        .command('start', 'run the validator until SIGINT/SIGTERM', nodeStartOptions, (a) =>
          nodeStartHandler(a),
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
  try {
    await buildCli(argv).parseAsync()
  } catch (e) {
    if (isSandboxError(e) || e instanceof CliError || e instanceof ConfigError) {
      if (json) console.error(JSON.stringify({ error: { code: e.code, message: e.message } }))
      else console.error(`error [${e.code}] ${e.message}`)
      process.exitCode = 1
      return
    }
    throw e
  }
}
