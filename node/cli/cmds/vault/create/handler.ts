import { SingleBar } from 'cli-progress'
import {
  type CreateVaultOptions,
  createVault,
  PolicySchema,
  VaultSchemaSchema,
} from '../../../../../sandbox/index.ts'
import { Client, committeeVaultKeys, fetchCommitteeKey } from '../../../../sdk/index.ts'
import { CliError } from '../../../errors.ts'
import { readJsonFile } from '../../../files.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { table } from '../../../table.ts'
import type { CreateArgs } from './options.ts'

export async function createHandler(args: CreateArgs): Promise<void> {
  const [schema, policy] = await Promise.all([
    readJsonFile(args.schema, VaultSchemaSchema, 'schema'),
    readJsonFile(args.policy, PolicySchema, 'policy'),
  ])
  const keys = await vaultKeys(args)
  const bar =
    process.stderr.isTTY && !args.json
      ? new SingleBar({
          format: 'encrypting {bar} {value} records | {duration}s',
          stream: process.stderr,
          hideCursor: true,
        })
      : undefined
  bar?.start(0, 0)
  const started = performance.now()
  try {
    const manifest = await createVault({
      csv: args.csv,
      schema,
      policy,
      ...keys,
      outDir: args.out,
      ...(args.workers === undefined ? {} : { workers: args.workers }),
      onProgress: (records) => {
        bar?.setTotal(records)
        bar?.update(records)
      },
    })
    bar?.stop()
    const seconds = (performance.now() - started) / 1000
    if (args.json) {
      console.log(JSON.stringify({ dir: args.out, seconds, manifest }))
      return
    }
    // Two values per slot: one ciphertext is named by two chunks.
    const ciphertexts = manifest.columns.reduce((a, c) => a + new Set(c.chunks).size, 0)
    console.log(`vault ${manifest.vaultId}`)
    console.log(`written to ${args.out} in ${seconds.toFixed(1)} s\n`)
    console.log(
      table(
        ['records', 'columns', 'encrypted columns', 'ciphertexts', 'profile', 'min aggregation'],
        [
          [
            String(manifest.recordCount),
            String(manifest.schema.columns.length),
            String(manifest.columns.length),
            String(ciphertexts),
            manifest.profile,
            String(manifest.policy.minAggregation),
          ],
        ],
      ),
    )
  } finally {
    bar?.stop()
  }
}

/** Owner mode: the seller's key directory. Committee mode: the committee's key, checked on chain. */
async function vaultKeys(
  args: CreateArgs,
): Promise<Pick<CreateVaultOptions, 'keysDir' | 'passphrase' | 'committee'>> {
  if (args.committee) {
    if (args.keys !== undefined)
      throw new CliError('ARGUMENT_INVALID', '--committee and --keys exclude each other')
    if (args.node === undefined)
      throw new CliError('ARGUMENT_INVALID', '--committee needs --node, to fetch the committee key')
    const client = new Client({ url: args.node })
    try {
      return { committee: committeeVaultKeys(await fetchCommitteeKey(client, args.epoch)) }
    } finally {
      await client.close()
    }
  }
  if (args.keys === undefined)
    throw new CliError('ARGUMENT_INVALID', 'a vault needs --keys (owner mode) or --committee')
  return { keysDir: args.keys, passphrase: await readPassphrase(args) }
}
