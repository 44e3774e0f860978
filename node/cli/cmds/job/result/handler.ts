import type { Hex32 } from '../../../../../protocol/index.ts'
import { Client, poolResult, thresholdResult } from '../../../../sdk/index.ts'
import { outputsTable, qualityReport } from '../../../outputs.ts'
import { idArg, readSealingKey } from '../args.ts'
import type { ResultArgs } from './options.ts'

export async function resultHandler(args: ResultArgs): Promise<void> {
  const sealingKey = await readSealingKey(args.sealingKey)
  const client = new Client({ url: args.node })
  try {
    const jobId = idArg(args.id)
    // A committee vault has no owner release: its result is the members' shares, combined here.
    const job = await client.job(jobId)
    const manifest = await client.vault(job.request.request.vaultId)
    if (manifest.pool) {
      await printPool(client, jobId, sealingKey, args.json)
      return
    }
    if (manifest.keyHolder) {
      await printThreshold(client, jobId, sealingKey, args.json)
      return
    }
    const result = await client.result(jobId, sealingKey)
    if (args.json) {
      console.log(JSON.stringify(result))
      return
    }
    console.log(`job ${result.jobId}`)
    console.log(`vault ${result.vaultId}`)
    console.log(`result ${result.resultHash}, released by ${result.owner}\n`)
    console.log(outputsTable(result.outputs))
    console.log(`\n${qualityReport(result.quality)}`)
    const h = result.heights
    console.log(
      `\nheights: admitted ${h.admitted ?? '-'}, certified ${h.certified}, released ${h.released ?? '-'}`,
    )
    console.log(
      result.anchorTx
        ? `anchored on chain in tx ${result.anchorTx.txHash} (block ${result.anchorTx.height})`
        : 'not anchored on chain yet',
    )
  } finally {
    await client.close()
  }
}

async function printThreshold(
  client: Client,
  jobId: Hex32,
  sealingKey: Uint8Array,
  json: boolean,
): Promise<void> {
  // The output shares follow the releasing block by a moment: wait for them a little.
  const result = await thresholdResult(client, jobId, sealingKey, { waitMs: 30_000 })
  if (json) {
    console.log(JSON.stringify(result))
    return
  }
  console.log(`job ${result.jobId}`)
  console.log(
    `result ${result.resultHash}, opened from the shares of members ${result.participants.join(', ')}\n`,
  )
  console.log(outputsTable(result.outputs))
  console.log(
    `\nprivacy: the outputs spend epsilon ${result.epsilon}; each of the ${result.participants.length} members added its own noise, and the errors count all ${result.participants.length}`,
  )
  console.log(`quality score (the committee's, in the block): ${(result.qualityScore / 1e6).toFixed(6)}`)
}

async function printPool(client: Client, jobId: Hex32, sealingKey: Uint8Array, json: boolean): Promise<void> {
  const result = await poolResult(client, jobId, sealingKey, { waitMs: 30_000 })
  if (json) {
    const { plan: _plan, ...shown } = result
    console.log(JSON.stringify(shown))
    return
  }
  const s = result.snapshot
  console.log(`job ${result.jobId}`)
  console.log(
    `pool ${result.poolId}, snapshot at height ${s.height}: ${s.count} contributions from ${s.contributors} contributors`,
  )
  console.log(
    `result ${result.resultHash}, opened from the shares of members ${result.participants.join(', ')}\n`,
  )
  console.log(outputsTable(result.outputs))
  console.log(
    `\nprivacy: the outputs spend epsilon ${result.epsilon} of every contributor's budget; each of the ${result.participants.length} members added its own noise to every slot, and the errors count all ${result.participants.length}; a number describing fewer than ${result.plan.minContributors} contributors is suppressed (null)`,
  )
  console.log(
    `quality score (the committee's, from the snapshot's counts): ${(result.qualityScore / 1e6).toFixed(6)}`,
  )
}
