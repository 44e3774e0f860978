/** Prints the regression vault's result hash, computed in this process: the cross-process half of the determinism test. */
import { join } from 'node:path'
import { compile } from '../compiler/compile.ts'
import { circuitIdOf, resultHashOf } from '../evaluator/bundle.ts'
import { evaluateCircuit } from '../evaluator/evaluate.ts'
import { execEnvHash } from '../he/exec-env.ts'
import { loadEvaluationKeys } from '../he/keys.ts'
import { heContext } from '../he/seal.ts'
import { getBlobSync } from '../vault/blob-dir.ts'
import { BLOB_DIR, readManifest } from '../vault/manifest.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from './regression.ts'

const blobDir = join(REGRESSION_VAULT, BLOB_DIR)
const manifest = await readManifest(REGRESSION_VAULT)
const circuit = compile(REGRESSION_SPEC, manifest)
const ctx = await heContext(manifest.profile)
const keys = loadEvaluationKeys(
  ctx,
  {
    relinKeys: getBlobSync(blobDir, manifest.keys.relinKeys),
    galoisKeys: getBlobSync(blobDir, manifest.keys.galoisKeys),
  },
  manifest.keys,
)
const stats = evaluateCircuit(ctx, keys, {
  circuit,
  columns: new Map(manifest.columns.map((c) => [c.name, c.chunks])),
  chunkCount: manifest.chunkCount,
  readBlob: (id) => getBlobSync(blobDir, id as `0x${string}`),
})
console.log(resultHashOf(circuitIdOf(circuit), await execEnvHash(manifest.profile), stats))
