import { Client } from '../../../../sdk/index.ts'
import { table } from '../../../table.ts'
import type { ListArgs } from './options.ts'

export async function listHandler(args: ListArgs): Promise<void> {
  const vaults = await new Client({ url: args.node }).vaults()
  if (args.json) {
    console.log(JSON.stringify({ vaults }))
    return
  }
  if (vaults.length === 0) {
    console.log(`${args.node} holds no vaults`)
    return
  }
  console.log(
    table(
      ['vault', 'records', 'profile', 'price (wei)', 'min group', 'ops', 'columns'],
      vaults.map((v) => [
        v.vaultId,
        String(v.recordCount),
        v.profile,
        v.policy.price,
        String(v.policy.minAggregation),
        v.policy.allowedOps.join(','),
        String(v.columns.length),
      ]),
    ),
  )
}
