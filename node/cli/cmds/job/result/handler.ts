import type { OutputValue, Withheld } from '../../../../../sandbox/index.ts'
import { Client } from '../../../../sdk/index.ts'
import { table } from '../../../table.ts'
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
    console.log(
      table(
        ['output', 'op', 'records', 'value'],
        Object.entries(result.outputs).map(([name, out]) => [name, out.op, records(out), value(out)]),
      ),
    )
    const q = result.quality
    console.log(`\nquality score ${q.score.toFixed(4)}`)
    console.log(
      table(
        ['component', 'value'],
        Object.entries(q.components).map(([k, v]) => [k, v.toFixed(4)]),
      ),
    )
    for (const d of q.details) console.log(`  ${d}`)
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

const records = (out: OutputValue | Withheld) => ('withheld' in out ? '-' : String(out.n))

function value(out: OutputValue | Withheld): string {
  if ('withheld' in out) return `withheld: ${out.withheld}`
  switch (out.op) {
    case 'histogram':
      return Object.entries(out.buckets)
        .map(([k, v]) => `${k}: ${v ?? '<min'}`)
        .join(', ')
    case 'linear_model_fit':
      return `R^2 ${out.r2}, RMSE ${out.rmse}, SSE ${out.sse}, SST ${out.sst}`
    default:
      return String(out.value)
  }
}
