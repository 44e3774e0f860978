/**
 * The devnet's demo job on a committee vault (n = 4, t = 3, ckks-8192, one core), in its previous
 * layout (one ciphertext per stat) and packed by integer masks: rotations, result ciphertexts,
 * evaluation time, and the release, i.e. each member's one-coefficient shares of every statistic
 * and their combination (members run in one process here; on a network in parallel, so a member's
 * time is what it adds). Cross-checks every opened statistic against the collective key's
 * decryption. Prints a table and writes bench-results/committee-pack.json.
 *
 *   npx node sandbox/bench/committee-pack.ts
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { Hex32 } from '../../protocol/index.ts'
import type { Circuit } from '../compiler/circuit.ts'
import { type CompileOptions, compile } from '../compiler/compile.ts'
import { unpackSlots } from '../decrypt/decrypt.ts'
import { evaluateCircuit } from '../evaluator/evaluate.ts'
import { rotateAndSumSteps } from '../he/profiles.ts'
import { heContext } from '../he/seal.ts'
import { parseSpec } from '../spec/parse.ts'
import { OPEN_POLICY } from '../testing/fixtures.ts'
import { committeeEvaluationKeys, decryptWith, testCommittee } from '../testing/threshold-committee.ts'
import { thresholdVault, thresholdVaultKeys } from '../testing/threshold-vault.ts'
import { DEFAULT_SMUDGING_BITS } from '../threshold/decrypt.ts'
import { readCiphertext } from '../threshold/seal-format.ts'
import { statLocations } from '../threshold/stat-coefficients.ts'
import { combineStat, statShare } from '../threshold/stat-decrypt.ts'
import { VaultSchemaSchema } from '../vault/schema.ts'
import { BenchSelfCheckError } from './errors.ts'

const { values: args } = parseArgs({
  options: { out: { type: 'string', default: 'bench-results/committee-pack.json' } },
})

const dir = new URL('../../devnet/data/', import.meta.url)
const json = async (name: string): Promise<unknown> => JSON.parse(await readFile(new URL(name, dir), 'utf8'))
const csv = await readFile(new URL('heart.csv', dir), 'utf8')
const schema = VaultSchemaSchema.parse(await json('schema.json'))
const spec = parseSpec(await json('algo.json'))

const ctx = await heContext('ckks-8192')
const tc = testCommittee(ctx, 4, 'bench-committee-pack')
const evk = committeeEvaluationKeys(tc, rotateAndSumSteps(ctx.profile.slotCount))
const keyHolder = { mode: 'committee' as const, epoch: 1, keyHash: `0x${'cd'.repeat(32)}` as Hex32 }
const vault = await thresholdVault(tc, csv, schema, { ...OPEN_POLICY, minAggregation: 1 }, evk, keyHolder)
const keys = thresholdVaultKeys(ctx, vault)
const sk = tc.collectiveSecretKey()
const participants = [1, 2, 4]

interface Row {
  layout: string
  stats: number
  results: number
  rotations: number
  evalMs: number
  memberReleaseMs: number
  combineMs: number
  /** the widest |opened - collective-key decryption| over the stats, in units of the smudging bound */
  widestError: number
}

function run(layout: string, options: CompileOptions): Row {
  const circuit: Circuit = compile(spec, vault.manifest, undefined, options)
  let t0 = performance.now()
  const results = evaluateCircuit(ctx, keys, {
    circuit,
    columns: new Map(vault.manifest.columns.map((c) => [c.name, c.chunks])),
    chunkCount: vault.manifest.chunkCount,
    readBlob: (id) => vault.blobs.get(id as Hex32)!,
  })
  const evalMs = performance.now() - t0
  const oracle = new Array<number>(circuit.stats.length).fill(Number.NaN)
  results.forEach((ct, i) => {
    unpackSlots(circuit.packs[i]!, decryptWith(ctx, sk, ct), oracle)
  })
  const at = statLocations(circuit.packs, circuit.stats.length, ctx.profile.slotCount)
  t0 = performance.now()
  const shares = at.map(({ result, coefficient }, i) =>
    participants.map((p) =>
      statShare(
        tc.basis,
        tc.keys[p - 1]!,
        {
          id: `bench/${layout}/${i}`,
          ciphertext: results[result]!,
          participants,
          smudgingBits: DEFAULT_SMUDGING_BITS,
        },
        coefficient,
      ),
    ),
  )
  const memberReleaseMs = (performance.now() - t0) / participants.length
  t0 = performance.now()
  const opened = at.map(({ result, coefficient }, i) =>
    combineStat(tc.basis, results[result]!, shares[i]!, coefficient),
  )
  const combineMs = performance.now() - t0
  let widestError = 0
  opened.forEach((v, i) => {
    const { scale } = readCiphertext(tc.basis, results[at[i]!.result]!)
    const bound = (7.5 * 2 ** DEFAULT_SMUDGING_BITS * Math.sqrt(participants.length / 3)) / scale
    widestError = Math.max(widestError, Math.abs(v - oracle[i]!) / bound)
  })
  if (!(widestError < 1)) {
    throw new BenchSelfCheckError(`${layout}: an opened stat is ${widestError.toFixed(2)}x its stated error`)
  }
  return {
    layout,
    stats: circuit.stats.length,
    results: results.length,
    rotations: circuit.cost.rotations,
    evalMs,
    memberReleaseMs,
    combineMs,
    widestError,
  }
}

try {
  // Warm-up: the first evaluation pays for SEAL's and the masks' one-time set-up.
  run('warm-up', { pack: false })
  const rows = [run('one ciphertext per stat (before)', { pack: false }), run('integer-mask packs', {})]
  console.log(
    `demo job on a committee vault, ${vault.manifest.recordCount} records, n = 4, t = 3 (members ${participants.join(', ')})`,
  )
  console.log(
    'layout'.padEnd(34) +
      ['stats', 'results', 'rotations', 'eval ms', 'member release ms', 'combine ms', 'widest err/bound']
        .map((h) => h.padStart(h.length + 2))
        .join(''),
  )
  for (const r of rows) {
    console.log(
      r.layout.padEnd(34) +
        [
          r.stats,
          r.results,
          r.rotations,
          r.evalMs.toFixed(0),
          r.memberReleaseMs.toFixed(0),
          r.combineMs.toFixed(1),
        ]
          .map((v, i) => String(v).padStart([5, 7, 9, 7, 17, 10][i]! + 2))
          .join('') +
        r.widestError.toFixed(3).padStart(18),
    )
  }
  await mkdir(new URL('.', new URL(args.out, `file://${process.cwd()}/`)), { recursive: true })
  await writeFile(args.out, `${JSON.stringify(rows, null, 2)}\n`)
} finally {
  keys.delete()
  sk.delete()
}
