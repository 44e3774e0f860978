import { addressOfPrivateKey, readKeystoreFile } from '../../../../../protocol/index.ts'
import { AlgorithmSpecSchema, PolicySchema, VaultSchemaSchema } from '../../../../../sandbox/index.ts'
import { Client, createPool } from '../../../../sdk/index.ts'
import { CliError } from '../../../errors.ts'
import { readJsonFile } from '../../../files.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { table } from '../../../table.ts'
import type { PoolCreateArgs } from './options.ts'

export async function poolCreateHandler(args: PoolCreateArgs): Promise<void> {
  if (!args.committee) throw new CliError('ARGUMENT_INVALID', 'a pool is always under the committee key')
  const [schema, policy, specs] = await Promise.all([
    readJsonFile(args.schema, VaultSchemaSchema, 'schema'),
    readJsonFile(args.policy, PolicySchema, 'policy'),
    Promise.all(args.ops.map((path) => readJsonFile(path, AlgorithmSpecSchema, 'spec'))),
  ])
  const key = await readKeystoreFile(args.curatorKey, await readPassphrase(args))
  const client = new Client({ url: args.node, key })
  try {
    const { manifest, published, markedTx } = await createPool(client, addressOfPrivateKey(key), {
      schema,
      specs,
      policy,
      maxRecords: args.maxRecords,
      ...(args.scaleBits === undefined ? {} : { scaleBits: args.scaleBits }),
      bound: { perWindow: args.perWindow, windowBlocks: args.windowBlocks },
      minContributors: args.minContributors,
      ...(args.epoch === undefined ? {} : { epoch: args.epoch }),
      out: args.out,
    })
    const pool = manifest.pool!
    if (args.json) {
      console.log(JSON.stringify({ poolId: manifest.vaultId, dir: args.out, manifest, published, markedTx }))
      return
    }
    console.log(`pool ${manifest.vaultId}\n`)
    console.log(
      table(
        ['what', 'value'],
        [
          ['curator', pool.curator],
          ['committee key', `${manifest.keyHolder!.keyHash} (epoch ${manifest.keyHolder!.epoch})`],
          [
            'layout',
            `${pool.monomials.length} slots, ${pool.maxRecords} records per contribution, scale 2^${pool.scaleBits}`,
          ],
          ['bound', `${pool.bound.perWindow} per contributor per ${pool.bound.windowBlocks} heights`],
          ['min contributors', String(pool.minContributors)],
          ['price', `${manifest.policy.price} wei`],
          [
            'on chain',
            published.registeredTx ? `registered in tx ${published.registeredTx}` : 'already registered',
          ],
          ['pool flag', markedTx ? `marked in tx ${markedTx}` : 'already marked'],
        ],
      ),
    )
  } finally {
    await client.close()
  }
}
