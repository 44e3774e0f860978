import { formatEther } from 'ethers'
import { QUALITY_SCALE } from '../../../../../protocol/index.ts'
import { Client, JOB_STAGES } from '../../../../sdk/index.ts'
import { table } from '../../../table.ts'
import { idArg } from '../args.ts'
import { rejectionReason } from '../settlement.ts'
import { STAGE_HEADERS, stageRow } from '../stages.ts'
import type { JobStatusArgs } from './options.ts'

export async function jobStatusHandler(args: JobStatusArgs): Promise<void> {
  const job = await new Client({ url: args.node }).job(idArg(args.id))
  if (args.json) {
    console.log(JSON.stringify(job))
    return
  }
  console.log(`job ${job.jobId}: ${job.stage}`)
  console.log(`vault ${job.request.request.vaultId}, deadline height ${job.request.request.deadline}\n`)
  const rows = JOB_STAGES.flatMap((s) => {
    const at = job.stages[s]
    return at === undefined ? [] : [stageRow(job, s, at)]
  })
  console.log(table(STAGE_HEADERS, rows))
  if (job.resultHash) console.log(`\nresult ${job.resultHash}`)
  if (job.anchorTx) console.log(`anchored in tx ${job.anchorTx.txHash} (block ${job.anchorTx.height})`)
  if (job.qualityScore !== undefined)
    console.log(`quality score ${(job.qualityScore / QUALITY_SCALE).toFixed(4)}`)
  if (job.settlement) {
    console.log(`escrow ${job.settlement.status} in tx ${job.settlement.txHash}`)
    const held = job.settlement.heldForContributors
    if (held) console.log(`${formatEther(held)} ETH held for the pool's contributors (tcf pool claim)`)
    const why = rejectionReason(job.settlement)
    if (why) console.log(why)
  }
  if (job.failReason) console.log(`failed: ${job.failReason}`)
  if (job.refusal) console.log(`refused [${job.refusal.code}] ${job.refusal.message}`)
}
