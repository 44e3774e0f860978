import { formatEther } from 'ethers'
import { type Address, readKeystoreFile } from '../../../../../protocol/index.ts'
import { Client } from '../../../../sdk/index.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { idArg } from '../../job/args.ts'
import type { ClaimArgs } from './options.ts'

export async function claimHandler(args: ClaimArgs): Promise<void> {
  const key = await readKeystoreFile(args.key, await readPassphrase(args))
  const client = new Client({ url: args.node, key })
  try {
    const contributor = args.for === undefined ? undefined : (args.for.toLowerCase() as Address)
    const claimed = await client.claimPayout(idArg(args.job), contributor)
    const withdrawn = args.withdraw ? await client.withdraw() : undefined
    if (args.json) {
      console.log(
        JSON.stringify({
          ...claimed,
          amount: String(claimed.amount),
          ...(withdrawn === undefined ? {} : { withdrawn: String(withdrawn) }),
        }),
      )
      return
    }
    const how = claimed.txHash === undefined ? 'already claimed' : `claimed in tx ${claimed.txHash}`
    console.log(
      `job ${claimed.jobId}: ${claimed.contributor} contributed ${claimed.contributions} of ` +
        `${claimed.total} contributions, ${formatEther(claimed.amount)} ETH (${how})`,
    )
    if (withdrawn !== undefined) console.log(`withdrew ${formatEther(withdrawn)} ETH`)
  } finally {
    await client.close()
  }
}
