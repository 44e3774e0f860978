import { hasQuorum, type ValidatorSet } from '../../consensus/index.ts'
import {
  type Eip712Domain,
  type Hex32,
  jobIdOf,
  QUALITY_SCALE,
  type Release,
  type ResultCertificate,
  type SignedJobRequest,
  verifyJobRequest,
  verifyRelease,
  verifyResultAttestation,
} from '../../protocol/index.ts'
import {
  type CompileLimits,
  ContributionError,
  isSandboxError,
  MICROS,
  minQualityOf,
  type PrivacyPlan,
  parseSpec,
  privacyOf,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { PoolError } from '../pools/errors.ts'
import { jobPrivacy } from './budget.ts'
import type { ChainFacts, EscrowTerms } from './chain-facts.ts'
import type { Ledger } from './ledger.ts'
import type { CommitteeView } from './scored-rules.ts'

/**
 * The deterministic rules of the job state machine. Every input is signed
 * evidence, replicated state (the ledger, content-addressed manifests) or
 * chain state at the block's own chain number, so every honest validator
 * judges a block alike.
 */
export interface RuleContext {
  readonly height: number
  readonly validators: ValidatorSet
  readonly ledger: Ledger
  readonly domain: Eip712Domain
  readonly manifest: (vaultId: Hex32) => VaultManifest | undefined
  /** Escrows and vaults at the block's `chainBlock`. */
  readonly chain: ChainFacts
  readonly escrowTerms: EscrowTerms
  readonly limits: CompileLimits
  /**
   * Epsilon (millionths) per vault spent by jobs admitted earlier in the
   * block being built or judged: admissions in one block share the budget.
   * checkAdmission adds each job it passes.
   */
  readonly blockSpend?: Map<Hex32, number>
  /** committee keys this node holds, for threshold releases (none: every threshold release is refused) */
  readonly committee?: (keyHash: Hex32) => CommitteeView | undefined
  /** the key-level RNS primes of an HE profile, once loaded */
  readonly primes?: (profile: string) => readonly bigint[] | undefined
  /** verdicts on contribution bytes checked before the block was built or judged (none: every contribution is refused) */
  readonly contributionBytes?: (poolId: Hex32, blobId: Hex32) => Verdict | undefined
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
    // A pool job reads the snapshot its spec names, at most the committed head (ctx.height - 1).
    privacy = jobPrivacy(signed, manifest, ctx.limits, { log: ctx.ledger.pools, head: ctx.height - 1 })
  } catch (e) {
    if (isSandboxError(e) || e instanceof PoolError || e instanceof ContributionError)
      return no(e.code, e.message)
    throw e
  }
  if (BigInt(request.maxPrice) < BigInt(manifest.policy.price)) {
    return no(
      'PRICE_TOO_LOW',
      `job ${jobId}: max price ${request.maxPrice} is below the vault's ${manifest.policy.price}`,
    )
  }
  // Paid for before it is charged: a refused job must not spend the block's budget.
  const paid = checkEscrow(ctx, signed)
  if (!paid.ok) return paid
  // Settlement holds a pool job's owner share for the contributors only on a marked pool; on an
  // unmarked one the curator would take it, so no job runs there.
  if (manifest.pool && ctx.chain.vault(request.vaultId)?.pool !== true) {
    return no(
      'POOL_NOT_MARKED',
      `job ${jobId}: pool ${request.vaultId} is not marked a pool on chain (VaultRegistry.markPool) at chain block ${ctx.chain.number}: its curator would be paid, not its contributors`,
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

/**
 * The job is paid for as the buyer signed it: an open escrow, opened by the
 * request's buyer, for the request's vault, at least the vault's price on
 * chain, paying for the least quality score the signed spec states, and
 * locked until the job can have completed and settled.
 */
function checkEscrow(ctx: RuleContext, { request }: SignedJobRequest): Verdict {
  const jobId = jobIdOf(request)
  const at = `at chain block ${ctx.chain.number}`
  const vault = ctx.chain.vault(request.vaultId)
  if (!vault?.active)
    return no('VAULT_INACTIVE', `job ${jobId}: vault ${request.vaultId} is not active ${at}`)
  const escrow = ctx.chain.escrow(jobId)
  if (!escrow) return no('ESCROW_MISSING', `job ${jobId}: no escrow was opened ${at}`)
  if (escrow.status !== 'open')
    return no('ESCROW_NOT_OPEN', `job ${jobId}: the escrow is ${escrow.status} ${at}`)
  if (escrow.vaultId !== request.vaultId) {
    return no(
      'ESCROW_WRONG_VAULT',
      `job ${jobId}: the escrow pays vault ${escrow.vaultId}, not ${request.vaultId}`,
    )
  }
  if (escrow.buyer.toLowerCase() !== request.buyer.toLowerCase()) {
    return no(
      'ESCROW_WRONG_BUYER',
      `job ${jobId}: the escrow was opened by ${escrow.buyer}, not ${request.buyer}`,
    )
  }
  if (escrow.amount < vault.price) {
    return no(
      'ESCROW_BELOW_PRICE',
      `job ${jobId}: escrow ${escrow.amount} wei is below the vault's price ${vault.price} ${at}`,
    )
  }
  // The spec parsed already (jobPrivacy) before the escrow is checked.
  const minQuality = minQualityOf(parseSpec(request.algorithm.spec))
  if (escrow.minQuality !== minQuality) {
    return no(
      'ESCROW_WRONG_MIN_QUALITY',
      `job ${jobId}: the escrow pays for a quality score of at least ${escrow.minQuality / QUALITY_SCALE}, the signed spec states ${minQuality / QUALITY_SCALE}`,
    )
  }
  const heightsLeft = BigInt(Math.max(0, request.deadline - ctx.height))
  const needed =
    ctx.chain.timestamp +
    heightsLeft * BigInt(ctx.escrowTerms.secondsPerHeight) +
    BigInt(ctx.escrowTerms.settlementSeconds)
  if (escrow.expiresAt < needed) {
    return no(
      'ESCROW_EXPIRES_EARLY',
      `job ${jobId}: the escrow expires at ${escrow.expiresAt}, before ${needed} (deadline height ${request.deadline})`,
    )
  }
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
  // A committee vault's owner holds no key: its "release" could only be a score it gave its own data.
  if (ctx.manifest(job.request.request.vaultId)?.keyHolder !== undefined) {
    return no(
      'COMMITTEE_VAULT',
      `job ${release.jobId} is on a committee vault: only the committee releases it`,
    )
  }
  if (!verifyRelease(ctx.domain, release))
    return no('BAD_SIGNATURE', `release of job ${release.jobId} is not signed by ${release.owner}`)
  const vault = ctx.chain.vault(job.request.request.vaultId)
  if (!vault) {
    return no(
      'OWNER_UNKNOWN',
      `release of job ${release.jobId}: the vault's owner is not known at chain block ${ctx.chain.number}`,
    )
  }
  if (vault.owner !== release.owner.toLowerCase()) {
    return no(
      'NOT_VAULT_OWNER',
      `release of job ${release.jobId} is signed by ${release.owner}, not the vault's owner`,
    )
  }
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
