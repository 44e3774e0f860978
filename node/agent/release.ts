import type { SecretKey } from 'node-seal'
import {
  type Eip712Domain,
  type Hex32,
  type JobRequest,
  QUALITY_SCALE,
  type SealedResult,
  sealedHashOf,
  signRelease,
} from '../../protocol/index.ts'
import {
  type AlgorithmSpec,
  type Circuit,
  decryptStats,
  type HeContext,
  type PrivacyPlan,
  type ResultBundle,
  releaseOutputs,
  SystemRandom,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { encodePayload, type ResultPayload, seal } from '../sdk/index.ts'
import type { StatsMemo } from './stats-memo.ts'

export interface ReleaseInput {
  readonly request: JobRequest
  readonly jobId: Hex32
  readonly certifiedHeight: number
  readonly manifest: VaultManifest
  readonly spec: AlgorithmSpec
  readonly circuit: Circuit
  /** circuitIdOf(circuit), which the caller checked the bundle names */
  readonly circuitId: Hex32
  /** the noise each stat gets, as the network charged it to the vault's budget */
  readonly privacy: PrivacyPlan
  /** the certified result bundle (its resultHash already checked) */
  readonly bundle: ResultBundle
  readonly he: HeContext
  readonly secretKey: SecretKey
  readonly ownerKey: Hex32
  readonly domain: Eip712Domain
  /** where the exact statistics of results already decrypted are kept; without it, each release decrypts */
  readonly memo?: StatsMemo
}

/**
 * Decrypts a certified result, passes the exact stats through the one
 * differentially private release (sandbox/dp), and seals only its noisy
 * outputs and score to the buyer, under a release signed by the vault
 * owner. The decrypted stats never leave this function but into the memo
 * (stats-memo.ts says why that is safe); the noise is drawn here, per job.
 */
export function buildRelease(input: ReleaseInput): SealedResult {
  const stats = input.memo
    ? input.memo.statsOf(input.he, input.secretKey, input.bundle, input.circuit, input.circuitId)
    : decryptStats(input.he, input.secretKey, input.bundle, input.circuit)
  const { finished, quality } = releaseOutputs({
    manifest: input.manifest,
    circuit: input.circuit,
    plan: input.privacy,
    expect: input.spec.expect,
    stats,
    random: new SystemRandom(),
  })
  if (!input.memo) (stats as number[]).fill(0)
  const payload: ResultPayload = {
    version: 1,
    jobId: input.jobId,
    vaultId: input.request.vaultId,
    resultHash: input.bundle.resultHash,
    certifiedHeight: input.certifiedHeight,
    outputs: finished.outputs,
    quality: { score: quality.score, components: quality.components, details: [...quality.details] },
  }
  const sealedPayload = seal(encodePayload(payload), input.request.sealingPublicKey)
  const fixed = (v: number) => Math.round(v * QUALITY_SCALE)
  const c = quality.components
  const release = signRelease(input.domain, input.ownerKey, {
    jobId: input.jobId,
    resultHash: input.bundle.resultHash,
    qualityScore: fixed(quality.score),
    components: {
      sampleSize: fixed(c.sampleSize),
      completeness: fixed(c.completeness),
      plausibility: fixed(c.plausibility),
      fitness: fixed(c.fitness),
    },
    sealedHash: sealedHashOf(sealedPayload),
  })
  return { version: 1, release, sealed: sealedPayload }
}
