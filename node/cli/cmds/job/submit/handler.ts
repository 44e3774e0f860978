import { writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { readKeystoreFile } from '../../../../../protocol/index.ts'
import { Client } from '../../../../sdk/index.ts'
import { CliError } from '../../../errors.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { table } from '../../../table.ts'
import { idArg, readSpec } from '../args.ts'
import type { SubmitArgs } from './options.ts'

export async function submitHandler(args: SubmitArgs): Promise<void> {
  const vaultId = idArg(args.vault)
  const spec = await readSpec(args.algo)
  const key = await readKeystoreFile(args.buyerKey, await readPassphrase(args))
  const client = new Client({ url: args.node, key })
  try {
    const job = await client.submitJob({
      vaultId,
      spec,
      ...(args.deadlineHeights === undefined ? {} : { deadlineHeights: args.deadlineHeights }),
    })
    const out = args.sealingKeyOut ?? join(dirname(args.buyerKey), `${job.jobId}.sealing.key`)
    // Owner-only and never overwritten: this key is the only way to open the result.
    await writeFile(out, `0x${Buffer.from(job.sealingKey.privateKey).toString('hex')}\n`, {
      mode: 0o600,
      flag: 'wx',
    }).catch((cause: unknown) => {
      throw new CliError(
        'FILE_UNREADABLE',
        `cannot write the sealing key to ${out} (job ${job.jobId} is submitted)`,
        {
          cause,
        },
      )
    })
    const request = job.request.request
    if (args.json) {
      console.log(
        JSON.stringify({
          jobId: job.jobId,
          sealingKeyFile: out,
          sealingPublicKey: request.sealingPublicKey,
          deadline: request.deadline,
          price: request.maxPrice,
          escrowTx: job.escrowTx,
        }),
      )
      return
    }
    console.log(`job ${job.jobId} submitted\n`)
    console.log(
      table(
        ['what', 'value'],
        [
          ['vault', request.vaultId],
          ['escrow', `${request.maxPrice} wei in tx ${job.escrowTx}`],
          ['deadline', `height ${request.deadline}`],
          ['sealed to', request.sealingPublicKey],
          ['sealing key', `${out} (keep it: it alone opens the result)`],
        ],
      ),
    )
  } finally {
    await client.close()
  }
}
