import { formatEther } from 'ethers'
import { type Address, readKeystoreFile } from '../../../../../protocol/index.ts'
import { Client } from '../../../../sdk/index.ts'
import { CliError } from '../../../errors.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { table } from '../../../table.ts'
import { idArg } from '../../job/args.ts'
import type { EarningsArgs } from './options.ts'

export async function earningsHandler(args: EarningsArgs): Promise<void> {
  if (args.key === undefined && args.address === undefined) {
    throw new CliError('ARGUMENT_INVALID', 'give --key (a keystore) or --address (a contributor address)')
  }
  const key =
    args.key === undefined ? undefined : await readKeystoreFile(args.key, await readPassphrase(args))
  const client = new Client({ url: args.node, ...(key === undefined ? {} : { key }) })
  try {
    const address = args.address === undefined ? undefined : (args.address.toLowerCase() as Address)
    const e = await client.poolEarnings(address, args.pool === undefined ? {} : { vaultId: idArg(args.pool) })
    if (args.json) {
      console.log(
        JSON.stringify({
          ...e,
          claimable: String(e.claimable),
          withdrawable: String(e.withdrawable),
          jobs: e.jobs.map((j) => ({ ...j, amount: String(j.amount) })),
        }),
      )
      return
    }
    console.log(`contributor ${e.contributor}\n`)
    console.log(
      table(
        ['job', 'pool', 'contributions', 'ETH', 'claimed'],
        e.jobs.map((j) => [
          j.jobId,
          j.vaultId,
          `${j.contributions} of ${j.total}`,
          formatEther(j.amount),
          j.claimed ? 'yes' : 'no',
        ]),
      ),
    )
    console.log(
      `\nclaimable ${formatEther(e.claimable)} ETH (tcf pool claim --job <id>), ` +
        `withdrawable ${formatEther(e.withdrawable)} ETH`,
    )
  } finally {
    await client.close()
  }
}
