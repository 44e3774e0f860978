import { readFile } from 'node:fs/promises'
import { type OutputValue, parseSpecJson, trustedRun, type Withheld } from '../../../../../sandbox/index.ts'
import { CliError } from '../../../errors.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { table } from '../../../table.ts'
import type { RunArgs } from './options.ts'

export async function runHandler(args: RunArgs): Promise<void> {
  const text = await readFile(args.algo, 'utf8').catch((cause: unknown) => {
    throw new CliError('FILE_UNREADABLE', `cannot read the spec ${args.algo}`, { cause })
  })
  const spec = parseSpecJson(text)
  const passphrase = await readPassphrase(args)
  const result = await trustedRun({ vaultDir: args.vault, spec, keysDir: args.keys, passphrase })
  if (args.json) {
    console.log(
      JSON.stringify({
        vaultId: result.manifest.vaultId,
        resultHash: result.bundle.resultHash,
        execEnvHash: result.bundle.execEnvHash,
        outputs: result.finished.outputs,
        quality: result.quality,
        timing: result.timing,
      }),
    )
    return
  }
  console.log(`vault ${result.manifest.vaultId}`)
  console.log(`result ${result.bundle.resultHash}\n`)
  console.log(
    table(
      ['output', 'op', 'records', 'value'],
      Object.entries(result.finished.outputs).map(([n, o]) => row(n, o)),
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
  console.log(
    `\nevaluated in ${Math.round(result.timing.ms)} ms (SEAL heap ${Math.round(result.timing.heapBytes / 2 ** 20)} MiB), decrypted in ${Math.round(result.timing.decryptMs)} ms`,
  )
}

function row(name: string, out: OutputValue | Withheld): string[] {
  if ('withheld' in out) return [name, out.op, '-', `withheld: ${out.withheld}`]
  if (out.op === 'histogram') {
    const buckets = Object.entries(out.buckets).map(([k, v]) => `${k}: ${v ?? '<min'}`)
    return [name, out.op, String(out.n), buckets.join(', ')]
  }
  if (out.op === 'linear_model_fit') {
    return [name, out.op, String(out.n), `R^2 ${out.r2}, RMSE ${out.rmse}, SSE ${out.sse}, SST ${out.sst}`]
  }
  return [name, out.op, String(out.n), String(out.value)]
}
