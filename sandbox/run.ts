import { join } from 'node:path'
import type { Circuit } from './compiler/circuit.ts'
import { type CompileLimits, compile, DEFAULT_LIMITS } from './compiler/compile.ts'
import { decryptStats } from './decrypt/decrypt.ts'
import type { FinishedOutputs } from './decrypt/finish.ts'
import type { QualityScore } from './decrypt/quality.ts'
import { type BudgetState, chargeBudgetFile } from './dp/budget-file.ts'
import { type PrivacyPlan, planPrivacy } from './dp/plan.ts'
import { SystemRandom } from './dp/random.ts'
import { releaseOutputs } from './dp/release.ts'
import { circuitIdOf, type ResultBundle } from './evaluator/bundle.ts'
import { Evaluator, type JobTiming } from './evaluator/evaluator.ts'
import { loadSecretKey } from './he/keys.ts'
import { heContext } from './he/seal.ts'
import type { AlgorithmSpec } from './spec/schema.ts'
import { BLOB_DIR, readManifest, type VaultManifest } from './vault/manifest.ts'

export interface TrustedRunOptions {
  readonly vaultDir: string
  readonly spec: AlgorithmSpec
  readonly keysDir: string
  readonly passphrase: string
  readonly limits?: CompileLimits
  /** reuse a running evaluator; otherwise one is started and stopped */
  readonly evaluator?: Evaluator
}

export interface TrustedRunResult {
  readonly manifest: VaultManifest
  readonly circuit: Circuit
  readonly privacy: PrivacyPlan
  /** the vault's budget after this run */
  readonly budget: BudgetState
  readonly bundle: ResultBundle
  readonly finished: FinishedOutputs
  readonly quality: QualityScore
  readonly timing: JobTiming & { readonly decryptMs: number }
}

/**
 * Phase 1, the trusted sandbox: a vault and a spec meet on one machine.
 * The evaluation only ever touches ciphertexts; the key holder's decryption
 * sees the stats, and what leaves goes through the same differentially
 * private release as owner mode, charged to the budget ledger in the vault
 * folder before anything is decrypted.
 */
export async function trustedRun(options: TrustedRunOptions): Promise<TrustedRunResult> {
  const manifest = await readManifest(options.vaultDir)
  const circuit = compile(options.spec, manifest, options.limits ?? DEFAULT_LIMITS)
  const privacy = planPrivacy(options.spec, circuit, manifest)
  const evaluator = options.evaluator ?? new Evaluator()
  if (!options.evaluator) evaluator.start()
  try {
    const { bundle, timing } = await evaluator.evaluate(circuit, manifest, join(options.vaultDir, BLOB_DIR))
    const budget = await chargeBudgetFile(options.vaultDir, manifest.vaultId, privacy.policy, {
      circuitId: circuitIdOf(circuit),
      epsilonMicros: privacy.epsilonMicros,
    })
    const started = performance.now()
    const ctx = await heContext(manifest.profile)
    const secretKey = await loadSecretKey(ctx, options.keysDir, options.passphrase, manifest.keys.publicKey)
    let stats: number[]
    try {
      stats = decryptStats(ctx, secretKey, bundle, circuit)
    } finally {
      secretKey.delete()
    }
    const { finished, quality } = releaseOutputs({
      manifest,
      circuit,
      plan: privacy,
      expect: options.spec.expect,
      stats,
      random: new SystemRandom(),
    })
    stats.fill(0)
    return {
      manifest,
      circuit,
      privacy,
      budget,
      bundle,
      finished,
      quality,
      timing: { ...timing, decryptMs: performance.now() - started },
    }
  } finally {
    if (!options.evaluator) await evaluator.stop()
  }
}
