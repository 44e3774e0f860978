import { join } from 'node:path'
import { compile } from '../compiler/compile.ts'
import { decryptStats } from '../decrypt/decrypt.ts'
import { type FinishedOutputs, finish } from '../decrypt/finish.ts'
import type { Evaluator } from '../evaluator/evaluator.ts'
import { loadSecretKey } from '../he/keys.ts'
import { heContext } from '../he/seal.ts'
import type { AlgorithmSpec } from '../spec/schema.ts'
import { BLOB_DIR, readManifest } from '../vault/manifest.ts'

/**
 * The homomorphic pipeline without the privacy release: exact decrypted
 * stats, finished. Tests of HE accuracy compare these with plaintext;
 * nothing outside tests ever finishes exact stats for a buyer.
 */
export async function exactRun(
  evaluator: Evaluator,
  vaultDir: string,
  keysDir: string,
  passphrase: string,
  spec: AlgorithmSpec,
): Promise<FinishedOutputs> {
  const manifest = await readManifest(vaultDir)
  const circuit = compile(spec, manifest)
  const { bundle } = await evaluator.evaluate(circuit, manifest, join(vaultDir, BLOB_DIR))
  const ctx = await heContext(manifest.profile)
  const secretKey = await loadSecretKey(ctx, keysDir, passphrase, manifest.keys.publicKey)
  try {
    return finish(circuit, decryptStats(ctx, secretKey, bundle, circuit), manifest.policy.minAggregation)
  } finally {
    secretKey.delete()
  }
}
