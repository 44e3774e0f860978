import { readFile } from 'node:fs/promises'
import {
  circuitIdOf,
  compile,
  parseSpecJson,
  planPrivacy,
  privacyPreview,
  readManifest,
} from '../../../../../sandbox/index.ts'
import { CliError } from '../../../errors.ts'
import { formatBytes, table } from '../../../table.ts'
import type { CheckArgs } from './options.ts'

export async function checkHandler(args: CheckArgs): Promise<void> {
  const text = await readFile(args.algo, 'utf8').catch((cause: unknown) => {
    throw new CliError('FILE_UNREADABLE', `cannot read the spec ${args.algo}`, { cause })
  })
  const spec = parseSpecJson(text)
  const manifest = await readManifest(args.vault)
  const circuit = compile(spec, manifest)
  const privacy = privacyPreview(planPrivacy(spec, circuit, manifest))
  if (args.json) {
    console.log(JSON.stringify({ circuitId: circuitIdOf(circuit), circuit, privacy }))
    return
  }
  console.log(
    `spec accepted for vault ${manifest.vaultId} (${manifest.recordCount} records, ${manifest.profile})`,
  )
  console.log(`circuit ${circuitIdOf(circuit)}\n`)
  console.log(
    table(
      ['output', 'op', 'over', 'stats'],
      circuit.outputs.map((o) => [
        o.name,
        o.op,
        o.over.length === 0 ? 'all records' : o.over.join(' & '),
        String(new Set(Object.values(o.sums).flatMap((f) => f.map(([i]) => i).filter((i) => i >= 0))).size),
      ]),
    ),
  )
  console.log()
  console.log(
    table(
      ['stat', 'Σ of', 'depth', 'result level'],
      circuit.stats.map((s, i) => [String(i), s.key, String(s.depth), String(s.resultLevel)]),
    ),
  )
  console.log(
    `\nprivacy: epsilon ${privacy.epsilon} of ${privacy.maxEpsilonPerJob} per job (vault budget ${privacy.vaultEpsilon}, per ${privacy.unit})`,
  )
  console.log(
    table(
      ['output', 'epsilon', 'noise sd', '±95%'],
      Object.entries(privacy.outputs).map(([name, p]) => [
        name,
        String(p.epsilon),
        renderFields(p.noiseStd),
        renderFields(p.error95),
      ]),
    ),
  )
  const c = circuit.cost
  console.log(
    `\ndepth ${c.depth}, ${c.stats} stats, ${c.inputCiphertexts} input ciphertexts, ${c.multiplications} multiplications, ` +
      `${c.relinearizations} relinearizations, ${c.rotations} rotations; estimated ${Math.round(c.estimatedMs)} ms on one core, ` +
      `${formatBytes(c.estimatedBytes)} peak`,
  )
}

function renderFields(fields: Readonly<Record<string, number>>): string {
  const entries = Object.entries(fields)
  if (entries.length === 1 && (entries[0]![0] === 'value' || entries[0]![0] === 'bucket'))
    return String(entries[0]![1])
  return entries.map(([k, v]) => `${k} ${v}`).join(', ')
}
