import {
  type Address,
  type Block,
  type Hex32,
  jobIdOf,
  MAX_CONTRIBUTIONS_PER_BLOCK,
  type PoolBan,
  type Release,
  type ScoredRelease,
  type SignedContribution,
  type SignedJobRequest,
} from '../../protocol/index.ts'
import { BlockPools, checkContribution, checkPoolBan, type PoolRuleContext } from '../pools/rules.ts'
import type { AttestationPool } from './attestation-pool.ts'
import {
  checkAdmission,
  checkCertificate,
  checkFailure,
  checkRelease,
  type RuleContext,
  type Verdict,
} from './rules.ts'
import { checkScored, combineScored, fixedScore, type ScoredRuleContext } from './scored-rules.ts'

export interface BlockFrame {
  readonly height: number
  readonly epoch: number
  readonly parentHash: Hex32
  /** the parent's chain block number: a block's may not be lower */
  readonly chainBlock: number
}

/**
 * Judges a proposed block from signed evidence and replicated state only:
 * the same block gets the same verdict on every honest validator.
 */
export function validateBlock(outer: RuleContext, frame: BlockFrame, block: Block): Verdict {
  const ctx: RuleContext = { ...outer, blockSpend: new Map() }
  if (block.height !== frame.height) return bad('WRONG_HEIGHT', `block is for height ${block.height}`)
  if (block.epoch !== frame.epoch) return bad('WRONG_EPOCH', `block is for epoch ${block.epoch}`)
  if (block.parentHash !== frame.parentHash)
    return bad('WRONG_PARENT', `parent ${block.parentHash} is not the head`)
  if (block.chainBlock < frame.chainBlock) {
    return bad(
      'CHAIN_BLOCK_BACKWARDS',
      `chain block ${block.chainBlock} is below the parent's ${frame.chainBlock}`,
    )
  }
  // The caller loads the facts at the block's number; other facts would judge another block.
  if (ctx.chain.number !== block.chainBlock) {
    throw new RangeError(`chain facts at ${ctx.chain.number} given for a block at ${block.chainBlock}`)
  }
  if (!ctx.validators.has(block.proposer))
    return bad('NOT_A_VALIDATOR', `proposer ${block.proposer} is not a validator`)
  // Each job at most once per block, whatever the section.
  const entries: Array<[Hex32, () => Verdict]> = [
    ...block.admitted.map((r): [Hex32, () => Verdict] => [jobIdOf(r.request), () => checkAdmission(ctx, r)]),
    ...block.certified.map((c): [Hex32, () => Verdict] => [c.jobId, () => checkCertificate(ctx, c)]),
    ...block.released.map((r): [Hex32, () => Verdict] => [r.jobId, () => checkRelease(ctx, r)]),
    ...block.failed.map((jobId): [Hex32, () => Verdict] => [jobId, () => checkFailure(ctx, jobId)]),
    ...(block.scored ?? []).map((r): [Hex32, () => Verdict] => [
      r.jobId,
      () => checkScored(scoredContext(ctx), r),
    ]),
  ]
  const touched = new Set<Hex32>()
  for (const [jobId, check] of entries) {
    if (touched.has(jobId)) return bad('JOB_TWICE', `job ${jobId} appears twice in the block`)
    touched.add(jobId)
    const verdict = check()
    if (!verdict.ok) return verdict
  }
  // An empty section is written absent: a block must have one spelling, hence one hash.
  if (block.contributions?.length === 0) return bad('EMPTY_SECTION', 'contributions is empty, not absent')
  if (block.poolBans?.length === 0) return bad('EMPTY_SECTION', 'poolBans is empty, not absent')
  const pools = poolContext(ctx)
  const admitted = new BlockPools()
  for (const claim of block.contributions ?? []) {
    const verdict = checkContribution(pools, admitted, claim)
    if (!verdict.ok) return verdict
  }
  for (const ban of block.poolBans ?? []) {
    const verdict = checkPoolBan(pools, ban)
    if (!verdict.ok) return verdict
  }
  return { ok: true }
}

/** The pool rules' view of the rule context. */
export function poolContext(ctx: RuleContext): PoolRuleContext {
  return {
    height: ctx.height,
    domain: ctx.domain,
    log: ctx.ledger.pools,
    manifest: ctx.manifest,
    bytes: ctx.contributionBytes ?? (() => undefined),
  }
}

/** The threshold-release rule's view of the rule context. */
export function scoredContext(ctx: RuleContext): ScoredRuleContext {
  return {
    domain: ctx.domain,
    limits: ctx.limits,
    job: (jobId) => ctx.ledger.job(jobId),
    manifest: ctx.manifest,
    committee: ctx.committee ?? (() => undefined),
    primes: ctx.primes ?? (() => undefined),
    pools: { log: ctx.ledger.pools, head: ctx.height - 1 },
  }
}

function bad(code: string, message: string): Verdict {
  return { ok: false, code, message }
}

export interface BlockSources {
  /** requests waiting for admission, oldest first */
  readonly pending: readonly SignedJobRequest[]
  readonly attestations: AttestationPool
  /** owner releases waiting for inclusion */
  readonly releases: readonly Release[]
  /**
   * Threshold releases that could go in: per job, the sets of t members whose score shares are all
   * here, best first. The first set that combines is taken.
   */
  readonly scored?: readonly ScoredCandidate[]
  /** contribution claims waiting for a block, oldest first, their bytes checked */
  readonly contributions?: readonly SignedContribution[]
  /** curators' bans waiting for a block */
  readonly poolBans?: readonly PoolBan[]
}

export type ScoredCandidate = Pick<ScoredRelease, 'jobId' | 'resultHash' | 'participants' | 'shares'>

const MAX_ADMITTED = 256

/**
 * The block a proposer offers: every pending request that passes admission,
 * a certificate for every open job with a quorum of matching attestations,
 * and a failure for every open job past its deadline. Built with the same
 * rules validators apply, so an honest proposal is always valid. Its chain
 * block is the one `ctx.chain` was read at.
 */
export function buildBlock(
  outer: RuleContext,
  frame: BlockFrame,
  proposer: Address,
  sources: BlockSources,
): Block {
  const ctx: RuleContext = { ...outer, blockSpend: new Map() }
  const admitted: SignedJobRequest[] = []
  const seen = new Set<Hex32>()
  for (const request of sources.pending) {
    if (admitted.length >= MAX_ADMITTED) break
    const jobId = jobIdOf(request.request)
    if (seen.has(jobId) || !checkAdmission(ctx, request).ok) continue
    seen.add(jobId)
    admitted.push(request)
  }
  const certified = []
  const failed: Hex32[] = []
  const released = sources.releases.filter((r) => checkRelease(ctx, r).ok)
  const releasing = new Set(released.map((r) => r.jobId))
  const scored: ScoredRelease[] = []
  for (const candidate of sources.scored ?? []) {
    if (releasing.has(candidate.jobId)) continue
    const combined = combineScored(scoredContext(ctx), candidate)
    if (!combined.ok) continue
    scored.push({ ...candidate, ...fixedScore(combined.score) })
    releasing.add(candidate.jobId)
  }
  for (const job of ctx.ledger.openJobs()) {
    if (releasing.has(job.jobId)) continue
    if (checkFailure(ctx, job.jobId).ok) {
      failed.push(job.jobId)
      continue
    }
    if (job.certified) continue
    const certificate = sources.attestations.certificateFor(job.jobId, ctx.validators)
    if (certificate && checkCertificate(ctx, certificate).ok) certified.push(certificate)
  }
  const pools = poolContext(ctx)
  const admittedPools = new BlockPools()
  const contributions: SignedContribution[] = []
  for (const claim of sources.contributions ?? []) {
    if (contributions.length >= MAX_CONTRIBUTIONS_PER_BLOCK / 2) break
    if (checkContribution(pools, admittedPools, claim).ok) contributions.push(claim)
  }
  const banned = new Set<string>()
  const poolBans = (sources.poolBans ?? []).filter((ban) => {
    const key = `${ban.poolId}/${ban.contributor.toLowerCase()}`
    if (
      banned.has(key) ||
      ctx.ledger.pools.banned(ban.poolId, ban.contributor) ||
      !checkPoolBan(pools, ban).ok
    )
      return false
    banned.add(key)
    return true
  })
  return {
    version: 1,
    height: frame.height,
    epoch: frame.epoch,
    parentHash: frame.parentHash,
    proposer,
    chainBlock: ctx.chain.number,
    admitted,
    certified,
    released,
    failed,
    ...(scored.length > 0 ? { scored } : {}),
    ...(contributions.length > 0 ? { contributions } : {}),
    ...(poolBans.length > 0 ? { poolBans } : {}),
  }
}
