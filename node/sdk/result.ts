import type { ValidatorSet } from '../../consensus/index.ts'
import {
  type DecidedBlock,
  type Hex32,
  type JobRecord,
  QUALITY_SCALE,
  type SealedResult,
  sealedHashOf,
  verifyRelease,
} from '../../protocol/index.ts'
import { verifyCertifiedResult } from './certificate.ts'
import { type ChainContext, onChain } from './chain.ts'
import { ClientError } from './errors.ts'
import { decodePayload } from './payload.ts'
import { unseal } from './sealing.ts'
import type { JobResult } from './types.ts'

/** What opening a result needs of the client: the node's answers, the chain, and validator sets by epoch. */
export interface ResultSource {
  readonly chain: ChainContext
  /** the node's URL, named in errors about what it serves */
  readonly nodeUrl: string
  job(jobId: Hex32): Promise<JobRecord>
  sealed(jobId: Hex32): Promise<SealedResult>
  block(height: number): Promise<DecidedBlock | undefined>
  validatorSet(epoch: number): Promise<ValidatorSet>
}

/**
 * Buyer: the released result, believed only once the block at its certified height carries commit
 * and result certificates of more than 2/3 of the chain's validator set for the job and hash, the
 * release is signed by the vault's on-chain owner, hashes the sealed payload, and names that
 * result; then unsealed and checked once more.
 */
export async function openResult(
  source: ResultSource,
  jobId: Hex32,
  sealingPrivateKey: Uint8Array,
): Promise<JobResult> {
  const job = await source.job(jobId)
  if (job.stage !== 'released' || !job.resultHash || job.certifiedHeight === undefined) {
    throw new ClientError('NOT_RELEASED', `job ${jobId} is ${job.stage}, not released`)
  }
  const sealed = await source.sealed(jobId)
  const { release } = sealed
  const { chain } = source
  // The node's record of the certified hash is one node's word: believe only the certificate,
  // checked against the validator set the chain recorded for its epoch.
  const decided = await source.block(job.certifiedHeight)
  if (!decided) {
    throw new ClientError(
      'CERTIFICATE_INVALID',
      `job ${jobId}: ${source.nodeUrl} serves no block at its certified height ${job.certifiedHeight}`,
    )
  }
  const validators = await source.validatorSet(decided.certificate.epoch)
  verifyCertifiedResult(
    decided,
    { jobId, resultHash: job.resultHash, height: job.certifiedHeight },
    validators,
    chain.domain,
  )
  const vaultId = job.request.request.vaultId
  const vault = await onChain('read the vault registry', () => chain.vaults.vault(vaultId))
  const bad = (why: string) => new ClientError('BAD_RELEASE', `job ${jobId}: ${why}`)
  if (sealedHashOf(sealed.sealed) !== release.sealedHash)
    throw bad('the release does not hash the sealed payload')
  if (!verifyRelease(chain.domain, release)) throw bad('the release signature is not by its owner')
  if (release.owner !== vault.owner)
    throw bad(`released by ${release.owner}, the vault owner is ${vault.owner}`)
  if (release.jobId !== jobId || release.resultHash !== job.resultHash) {
    throw bad(`the release is for result ${release.resultHash}, the network certified ${job.resultHash}`)
  }
  if (job.qualityScore !== undefined && job.qualityScore !== release.qualityScore) {
    throw bad(`the release scores ${release.qualityScore}, the network recorded ${job.qualityScore}`)
  }
  const payload = decodePayload(unseal(sealed.sealed, sealingPrivateKey))
  if (
    payload.jobId !== jobId ||
    payload.resultHash !== job.resultHash ||
    payload.vaultId !== vaultId ||
    payload.certifiedHeight !== job.certifiedHeight
  ) {
    throw bad('the sealed result names another job or result')
  }
  const q = payload.quality
  const signedScores = [
    q.score,
    q.components.sampleSize,
    q.components.completeness,
    q.components.plausibility,
    q.components.fitness,
  ]
  const released = [
    release.qualityScore,
    release.components.sampleSize,
    release.components.completeness,
    release.components.plausibility,
    release.components.fitness,
  ]
  if (signedScores.some((v, i) => Math.round(v * QUALITY_SCALE) !== released[i])) {
    throw bad('the sealed quality score differs from the signed one')
  }
  return {
    jobId,
    vaultId,
    resultHash: job.resultHash,
    outputs: payload.outputs,
    quality: payload.quality,
    qualityScoreFixed: release.qualityScore,
    owner: release.owner,
    heights: { admitted: job.admittedHeight, certified: job.certifiedHeight, released: job.releasedHeight },
    anchorTx: job.anchorTx,
  }
}
