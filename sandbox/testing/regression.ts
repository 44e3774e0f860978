/**
 * The byte-identity regression fixture: a small committed vault (keys
 * included, secret sealed under TEST_PASSPHRASE) and a spec whose result
 * hash is pinned in sandbox/evaluator/regression.test.ts. If a node-seal
 * upgrade or an evaluator change alters a single output byte, that test
 * fails, and EVALUATOR_VERSION (hence execEnvHash) must change with it.
 *
 * Regenerate (only together with such a change):
 *   npx node sandbox/testing/regression.ts
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { Hex32 } from '../../protocol/index.ts'
import { type CompileOptions, compile } from '../compiler/compile.ts'
import { circuitIdOf, resultHashOf } from '../evaluator/bundle.ts'
import { evaluateCircuit } from '../evaluator/evaluate.ts'
import { execEnvHash } from '../he/exec-env.ts'
import { generateKeys, loadEvaluationKeys, writeKeyDir } from '../he/keys.ts'
import { heContext } from '../he/seal.ts'
import { parseSpec } from '../spec/parse.ts'
import { getBlobSync } from '../vault/blob-dir.ts'
import { createVault } from '../vault/create.ts'
import { BLOB_DIR, readManifest } from '../vault/manifest.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { OPEN_POLICY, TEST_PASSPHRASE, TEST_SCRYPT } from './fixtures.ts'

export const REGRESSION_DIR = fileURLToPath(new URL('./regression/', import.meta.url))
export const REGRESSION_KEYS = `${REGRESSION_DIR}keys`
export const REGRESSION_VAULT = `${REGRESSION_DIR}vault`

export const REGRESSION_SCHEMA: VaultSchema = {
  columns: [
    { name: 'x', type: 'number', min: 0, max: 100, nullable: true },
    { name: 'y', type: 'integer', min: 0, max: 500, nullable: false },
    { name: 'g', type: 'categorical', categories: ['p', 'q'], nullable: false },
  ],
}

export const REGRESSION_SPEC = parseSpec({
  version: 1,
  outputs: {
    mean_x: { op: 'mean', of: 'x' },
    var_y: { op: 'variance', of: 'y' },
    corr: { op: 'correlation', of: ['x', 'y'] },
    hist: { op: 'histogram', of: 'g' },
    fit: { op: 'linear_model_fit', model: { weights: { x: 3 }, bias: 100 }, label: 'y' },
  },
})

function regressionCsv(): string {
  const lines = ['x,y,g']
  for (let i = 0; i < 300; i++) {
    const x = (i * 37) % 101
    lines.push(
      `${i % 17 === 0 ? '' : x},${Math.min(500, 100 + 3 * x + ((i * 13) % 29))},${i % 3 === 0 ? 'p' : 'q'}`,
    )
  }
  return `${lines.join('\n')}\n`
}

if (import.meta.main) {
  await rm(REGRESSION_DIR, { recursive: true, force: true })
  await writeKeyDir(REGRESSION_KEYS, await generateKeys('ckks-8192', TEST_PASSPHRASE, TEST_SCRYPT))
  const manifest = await createVault({
    csv: Readable.from([regressionCsv()]),
    schema: REGRESSION_SCHEMA,
    policy: OPEN_POLICY,
    keysDir: REGRESSION_KEYS,
    passphrase: TEST_PASSPHRASE,
    outDir: REGRESSION_VAULT,
    workers: 1,
  })
  // The vault's blobs already hold the evaluation keys; keep only the sealed secret and metadata.
  await Promise.all(['public.key', 'relin.key', 'galois.key'].map((f) => rm(`${REGRESSION_KEYS}/${f}`)))
  console.log(`regression vault ${manifest.vaultId} written to ${REGRESSION_VAULT}`)
}

/**
 * The regression vault set up for in-process evaluation (no worker): its
 * circuit, a SEAL context, its evaluation keys (the caller deletes them) and
 * the evaluation input.
 */
export async function regressionEvaluation(options?: CompileOptions) {
  const blobDir = join(REGRESSION_VAULT, BLOB_DIR)
  const manifest = await readManifest(REGRESSION_VAULT)
  const circuit = compile(REGRESSION_SPEC, manifest, undefined, options)
  const ctx = await heContext(manifest.profile)
  const keys = loadEvaluationKeys(
    ctx,
    {
      relinKeys: getBlobSync(blobDir, manifest.keys.relinKeys),
      galoisKeys: getBlobSync(blobDir, manifest.keys.galoisKeys),
    },
    manifest.keys,
  )
  const input = {
    circuit,
    columns: new Map(manifest.columns.map((c) => [c.name, c.chunks])),
    chunkCount: manifest.chunkCount,
    readBlob: (id: string) => getBlobSync(blobDir, id as Hex32),
  }
  return { manifest, circuit, ctx, keys, input }
}

/** The regression vault's result hash, evaluated in this process: what every node must reproduce. */
export async function regressionResultHash(): Promise<Hex32> {
  const { manifest, circuit, ctx, keys, input } = await regressionEvaluation()
  try {
    const stats = evaluateCircuit(ctx, keys, input)
    return resultHashOf(circuitIdOf(circuit), await execEnvHash(manifest.profile), stats)
  } finally {
    keys.delete()
  }
}
