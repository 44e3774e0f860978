import { readFile } from 'node:fs/promises'
import { parseSpecJson, trustedRun } from '../../../../../sandbox/index.ts'
import { CliError } from '../../../errors.ts'
import { outputsTable, qualityReport } from '../../../outputs.ts'
import { readPassphrase } from '../../../passphrase.ts'
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
        privacy: { epsilon: result.privacy.epsilonMicros / 1e6, budget: result.budget },
        timing: result.timing,
      }),
    )
    return
  }
  console.log(`vault ${result.manifest.vaultId}`)
  console.log(`result ${result.bundle.resultHash}\n`)
  console.log(outputsTable(result.finished.outputs))
  console.log(`\n${qualityReport(result.quality)}`)
  const b = result.budget
  console.log(
    `\nprivacy: this run spent epsilon ${result.privacy.epsilonMicros / 1e6}; the vault has ${b.remainingMicros / 1e6} of ${b.totalMicros / 1e6} left`,
  )
  console.log(
    `\nevaluated in ${Math.round(result.timing.ms)} ms (SEAL heap ${Math.round(result.timing.heapBytes / 2 ** 20)} MiB), decrypted in ${Math.round(result.timing.decryptMs)} ms`,
  )
}
