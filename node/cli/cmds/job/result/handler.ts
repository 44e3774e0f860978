import { Client } from '../../../../sdk/index.ts'
import { outputsTable, qualityReport } from '../../../outputs.ts'
import { idArg, readSealingKey } from '../args.ts'
import type { ResultArgs } from './options.ts'

export async function resultHandler(args: ResultArgs): Promise<void> {
  const sealingKey = await readSealingKey(args.sealingKey)
  const client = new Client({ url: args.node })
  try {
    const result = await client.result(idArg(args.id), sealingKey)
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
