import { Client, type JobStage } from '../../../../sdk/index.ts'
import { idArg } from '../args.ts'
import { alignedStageLine, heightOf, STAGE_HEADERS, stageRow } from '../stages.ts'
import type { WaitArgs } from './options.ts'

/** Prints each stage as the job enters it (one JSON line each with --json) until the wanted one. */
export async function waitHandler(args: WaitArgs): Promise<void> {
  const jobId = idArg(args.id)
  if (!args.json) console.log(alignedStageLine(STAGE_HEADERS))
  const job = await new Client({ url: args.node }).waitForJob(jobId, [args.stage as JobStage], {
    timeoutMs: args.timeout * 1000,
    onStage: (stage, at, record) => {
      if (args.json)
        console.log(JSON.stringify({ jobId, stage, height: heightOf(record, stage) ?? null, at }))
      else console.log(alignedStageLine(stageRow(record, stage, at)))
    },
  })
  if (!args.json) console.log(`\njob ${jobId} is ${job.stage}`)
}
