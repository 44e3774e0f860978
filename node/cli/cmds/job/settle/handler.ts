import { formatEther } from 'ethers'
import { readKeystoreFile } from '../../../../../protocol/index.ts'
import { Client } from '../../../../sdk/index.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { table } from '../../../table.ts'
import { idArg } from '../args.ts'
import { rejectionReason } from '../settlement.ts'
import type { SettleArgs } from './options.ts'

export async function settleHandler(args: SettleArgs): Promise<void> {
  const key =
    args.key === undefined ? undefined : await readKeystoreFile(args.key, await readPassphrase(args))
  const client = new Client({ url: args.node, ...(key === undefined ? {} : { key }) })
  try {
    const s = await client.settle(idArg(args.id))
    if (args.json) {
      console.log(JSON.stringify(s))
      return
    }
    console.log(`job ${s.jobId} ${s.status} in tx ${s.txHash}${s.sentNow ? '' : ' (already settled)'}`)
    const why = rejectionReason(s)
    console.log(why === undefined ? '' : `${why}\n`)
    const credits = [
      ...(s.owner ? [['owner', s.owner] as const] : []),
      ...(s.validators ?? []).map((v) => ['validator', v] as const),
      ...(s.buyer ? [['buyer', s.buyer] as const] : []),
    ]
    const held = s.heldForContributors
    console.log(
      table(
        ['credited', 'address', 'ETH'],
        [
          ...credits.map(([role, c]) => [role, c.address, formatEther(c.amount)]),
          ...(held ? [['held for contributors', '(tcf pool claim)', formatEther(held)]] : []),
        ],
      ),
    )
  } finally {
    await client.close()
  }
}
