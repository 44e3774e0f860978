import type { ValidatorSet } from '../../consensus/index.ts'
import {
  type Address,
  type Eip712Domain,
  type Hex32,
  jobIdOf,
  type Release,
  type ResultCertificate,
  type SignedJobRequest,
  verifyJobRequest,
  verifyRelease,
  verifyResultAttestation,
} from '../../protocol/index.ts'
import {
  type CompileLimits,
  isSandboxError,
  MICROS,
  type PrivacyPlan,
  privacyOf,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { jobPrivacy } from './budget.ts'
import type { Ledger } from './ledger.ts'
import { hasQuorum } from './quorum.ts'

/**
 * The deterministic rules of the job state machine. Every input is signed
 * evidence or replicated state (the ledger, content-addressed manifests), so
 * every honest validator judges a block alike.
 */
export interface RuleContext {
  readonly height: number
  readonly validators: ValidatorSet
  readonly ledger: Ledger
  readonly domain: Eip712Domain
  readonly manifest: (vaultId: Hex32) => VaultManifest | undefined
  /** The vault's owner as registered on chain (fixed once registered), if known. */
  readonly vaultOwner: (vaultId: Hex32) => Address | undefined
  readonly limits: CompileLimits
  /**
   * Epsilon (millionths) per vault spent by jobs admitted earlier in the
   * block being built or judged: admissions in one block share the budget.
   * checkAdmission adds each job it passes.
   */
  readonly blockSpend?: Map<Hex32, number>
}

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly message: string }

const OK: Verdict = { ok: true }
const no = (code: string, message: string): Verdict => ({ ok: false, code, message })

export function checkAdmission(ctx: RuleContext, signed: SignedJobRequest): Verdict {
  const { request } = signed
  const jobId = jobIdOf(request)
  if (!verifyJobRequest(ctx.domain, signed))
    return no('BAD_SIGNATURE', `job ${jobId}: not signed by its buyer`)
  if (ctx.ledger.job(jobId)) return no('DUPLICATE_JOB', `job ${jobId} was already admitted`)
  if (request.deadline <= ctx.height) {
    return no(
      'DEADLINE_PASSED',
      `job ${jobId}: deadline height ${request.deadline} is not after ${ctx.height}`,
    )
  }
  const manifest = ctx.manifest(request.vaultId)
  if (!manifest)
    return no('VAULT_UNKNOWN', `job ${jobId}: vault ${request.vaultId} is not known to the network`)
  if (request.algorithm.spec === undefined)
    return no('SPEC_MISSING', `job ${jobId}: the request carries no spec`)
  let privacy: PrivacyPlan
  try {
    privacy = jobPrivacy(signed, manifest, ctx.limits)
  } catch (e) {
    if (isSandboxError(e)) return no(e.code, e.message)
    throw e
  }
  if (BigInt(request.maxPrice) < BigInt(manifest.policy.price)) {
    return no(
      'PRICE_TOO_LOW',
      `job ${jobId}: max price ${request.maxPrice} is below the vault's ${manifest.policy.price}`,
    )
  }
  const spent = ctx.ledger.spent(request.vaultId).micros + (ctx.blockSpend?.get(request.vaultId) ?? 0)
  const remaining = Math.max(0, Math.round(privacyOf(manifest.policy).epsilon * MICROS) - spent)
  if (privacy.epsilonMicros > remaining) {
    return no(
      'BUDGET_EXHAUSTED',
      `job ${jobId}: vault ${request.vaultId} has epsilon ${remaining / MICROS} left of ${privacyOf(manifest.policy).epsilon}; the job needs ${privacy.epsilonMicros / MICROS}`,
    )
  }
  ctx.blockSpend?.set(request.vaultId, (ctx.blockSpend.get(request.vaultId) ?? 0) + privacy.epsilonMicros)
  return OK
}

export function checkCertificate(ctx: RuleContext, certificate: ResultCertificate): Verdict {
  const job = ctx.ledger.job(certificate.jobId)
  if (!job) return no('UNKNOWN_JOB', `certificate for unknown job ${certificate.jobId}`)
  if (job.certified || job.released || job.failedHeight !== undefined) {
    return no('JOB_NOT_OPEN', `job ${certificate.jobId} is already certified or closed`)
  }
  const signers = new Set<string>()
  for (const a of certificate.attestations) {
    if (signers.has(a.validator)) return no('DUPLICATE_SIGNER', `${a.validator} attests twice`)
    signers.add(a.validator)
    if (!ctx.validators.has(a.validator))
      return no('NOT_A_VALIDATOR', `${a.validator} is not in the validator set`)
    const attestation = { version: 1 as const, ...certificate, ...a }
    const { attestations: _all, ...signed } = attestation
    if (!verifyResultAttestation(ctx.domain, signed)) {
      return no('BAD_SIGNATURE', `attestation of ${a.validator} for job ${certificate.jobId} is not valid`)
    }
  }
  if (
    !hasQuorum(
      ctx.validators,
      certificate.attestations.map((a) => a.validator),
    )
  ) {
    return no('NO_QUORUM', `job ${certificate.jobId}: attestations carry no more than 2/3 of the power`)
  }
  return OK
}

export function checkRelease(ctx: RuleContext, release: Release): Verdict {
  const job = ctx.ledger.job(release.jobId)
  if (!job?.certified) return no('NOT_CERTIFIED', `release of job ${release.jobId}, which is not certified`)
  if (job.released || job.failedHeight !== undefined)
    return no('JOB_NOT_OPEN', `job ${release.jobId} is closed`)
  if (release.resultHash !== job.certified.resultHash) {
    return no('RESULT_MISMATCH', `release of job ${release.jobId} names another result`)
  }
  if (!verifyRelease(ctx.domain, release))
    return no('BAD_SIGNATURE', `release of job ${release.jobId} is not signed by ${release.owner}`)
  return OK
}

export function checkFailure(ctx: RuleContext, jobId: Hex32): Verdict {
  const job = ctx.ledger.job(jobId)
  if (!job) return no('UNKNOWN_JOB', `failure of unknown job ${jobId}`)
  if (job.released || job.failedHeight !== undefined) return no('JOB_NOT_OPEN', `job ${jobId} is closed`)
  if (job.request.request.deadline >= ctx.height) {
    return no('DEADLINE_NOT_PASSED', `job ${jobId} has until height ${job.request.request.deadline}`)
  }
  return OK
}
