import {
  type Address,
  type Eip712Domain,
  type Hex32,
  QUALITY_SCALE,
  type ScoredRelease,
  type ScoreShare,
  scoreShareSigner,
} from '../../protocol/index.ts'
import {
  type CompileLimits,
  ContributionError,
  combineStatResidues,
  compile,
  isSandboxError,
  parseSpec,
  type QualityScore,
  scoreFromStats,
  scoreStats,
  ThresholdError,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { PoolError } from '../pools/errors.ts'
import { type PoolJobSources, poolJob } from '../pools/pool-job.ts'
import { poolScore } from '../pools/pool-score.ts'
import type { LedgerJob } from './ledger.ts'

/** The committee of a collective key, as this node holds it (node/threshold keyring). */
export interface CommitteeView {
  /** the epoch's validator set in set order: member i + 1 is members[i] (lowercase) */
  readonly members: readonly Address[]
  /** shares needed to open: 2f + 1 */
  readonly threshold: number
}

/** What the scored-release rule reads; all of it already in memory, so the rule never waits. */
export interface ScoredRuleContext {
  readonly domain: Eip712Domain
  readonly limits: CompileLimits
  readonly job: (jobId: Hex32) => LedgerJob | undefined
  readonly manifest: (vaultId: Hex32) => VaultManifest | undefined
  readonly committee: (keyHash: Hex32) => CommitteeView | undefined
  /** the key-level RNS primes of an HE profile */
  readonly primes: (profile: string) => readonly bigint[] | undefined
  /** the pool logs at the block's parent, for jobs on pool snapshots (none: such jobs are refused) */
  readonly pools?: PoolJobSources
}

export type ScoredVerdict =
  | { readonly ok: true; readonly score: QualityScore }
  | { readonly ok: false; readonly code: string; readonly message: string }

const no = (code: string, message: string): ScoredVerdict => ({ ok: false, code, message })

/**
 * A threshold release as a block carries it: exactly t shares, one per member of the named
 * participant set, each signed by that member's validator key for this job, result and key, and
 * the score they combine to. Returns the combined score, which the caller compares with the
 * block's (or, building a block, puts in it).
 */
export function combineScored(
  ctx: ScoredRuleContext,
  entry: Pick<ScoredRelease, 'jobId' | 'resultHash' | 'participants' | 'shares'>,
): ScoredVerdict {
  const { jobId } = entry
  const job = ctx.job(jobId)
  if (!job?.certified) return no('NOT_CERTIFIED', `threshold release of job ${jobId}, which is not certified`)
  if (job.released || job.failedHeight !== undefined) return no('JOB_NOT_OPEN', `job ${jobId} is closed`)
  if (entry.resultHash !== job.certified.resultHash) {
    return no('RESULT_MISMATCH', `threshold release of job ${jobId} names another result`)
  }
  const manifest = ctx.manifest(job.request.request.vaultId)
  if (!manifest) return no('VAULT_UNKNOWN', `job ${jobId}: its vault's manifest is not loaded`)
  const holder = manifest.keyHolder
  if (holder?.mode !== 'committee') {
    return no('NOT_COMMITTEE_VAULT', `job ${jobId}: its vault is released by its owner, not a committee`)
  }
  const committee = ctx.committee(holder.keyHash)
  if (!committee)
    return no('COMMITTEE_UNKNOWN', `job ${jobId}: committee key ${holder.keyHash} is not known here`)
  const primes = ctx.primes(manifest.profile)
  if (!primes) return no('PROFILE_UNKNOWN', `job ${jobId}: profile ${manifest.profile} is not loaded`)

  const set = entry.participants
  const n = committee.members.length
  if (set.some((p, i) => !Number.isInteger(p) || p < 1 || p > n || (i > 0 && p <= set[i - 1]!))) {
    return no(
      'PARTICIPANTS_INVALID',
      `job ${jobId}: participants ${set.join(',')} are not ascending members of 1..${n}`,
    )
  }
  if (set.length !== committee.threshold) {
    return no(
      'WRONG_SHARE_COUNT',
      `job ${jobId}: ${set.length} participants, the committee opens with exactly ${committee.threshold}`,
    )
  }
  if (entry.shares.length !== set.length) {
    return no(
      'WRONG_SHARE_COUNT',
      `job ${jobId}: ${entry.shares.length} shares for ${set.length} participants`,
    )
  }
  const seen = new Set<number>()
  for (const [i, share] of entry.shares.entries()) {
    const bad = checkShare(ctx.domain, committee, entry, holder.keyHash, share)
    if (bad) return no(bad.code, `job ${jobId}: share ${i}: ${bad.message}`)
    if (seen.has(share.member))
      return no('DUPLICATE_MEMBER', `job ${jobId}: member ${share.member} shares twice`)
    seen.add(share.member)
  }

  if (manifest.pool) return poolScored(ctx, manifest, job, entry)

  let spec: ReturnType<typeof parseSpec>
  let indices: number[]
  let circuit: ReturnType<typeof compile>
  try {
    spec = parseSpec(job.request.request.algorithm.spec)
    circuit = compile(spec, manifest, ctx.limits)
    indices = scoreStats(circuit, manifest, spec.expect)
  } catch (e) {
    if (isSandboxError(e)) return no(e.code, `job ${jobId}: ${e.message}`)
    throw e
  }
  const bySet = entry.shares.map((s) => s.sets.find((x) => sameSet(x.participants, set)))
  const constants = entry.shares[0]!.constants
  for (const [i, share] of entry.shares.entries()) {
    if (!bySet[i] || bySet[i]!.stats.length !== indices.length || share.constants.length !== indices.length) {
      return no(
        'SHARE_SHAPE',
        `job ${jobId}: member ${share.member} gives no share of the ${indices.length} score statistics for this set`,
      )
    }
    // Honest members read the constants off the same certified result: any difference is a lie.
    if (JSON.stringify(share.constants) !== JSON.stringify(constants)) {
      return no('CONSTANTS_DIFFER', `job ${jobId}: member ${share.member} states other ciphertext constants`)
    }
  }
  try {
    const opened = indices.map((_, k) =>
      combineStatResidues(
        primes,
        { c0: constants[k]!.c0.map(BigInt), scale: constants[k]!.scale },
        bySet.map((s) => s!.stats[k]!.map(BigInt)),
      ),
    )
    return { ok: true, score: scoreFromStats(manifest, circuit, spec.expect, indices, opened) }
  } catch (e) {
    if (e instanceof ThresholdError || isSandboxError(e))
      return no('SHARE_INVALID', `job ${jobId}: ${e.message}`)
    throw e
  }
}

/**
 * A job on a pool snapshot: its score reads only the snapshot's public counts (poolScore), so the
 * members' shares open nothing; they only say that t members hold their key and the certified
 * result, which fixes the set S that later opens the aggregate to the buyer.
 */
function poolScored(
  ctx: ScoredRuleContext,
  manifest: VaultManifest,
  job: LedgerJob,
  entry: Pick<ScoredRelease, 'jobId' | 'participants' | 'shares'>,
): ScoredVerdict {
  const { jobId } = entry
  for (const share of entry.shares) {
    const set = share.sets.find((x) => sameSet(x.participants, entry.participants))
    if (set?.stats.length !== 0 || share.constants.length !== 0) {
      return no(
        'SHARE_SHAPE',
        `job ${jobId}: member ${share.member} opens statistics of a pool job, whose score reads none`,
      )
    }
  }
  if (!ctx.pools) return no('POOL_UNKNOWN', `job ${jobId}: no pool log to read its snapshot from`)
  try {
    const spec = parseSpec(job.request.request.algorithm.spec)
    const pool = poolJob(manifest, spec, ctx.pools, ctx.limits)
    return { ok: true, score: poolScore(pool.snapshot, spec.expect) }
  } catch (e) {
    if (isSandboxError(e) || e instanceof PoolError || e instanceof ContributionError)
      return no(e.code, `job ${jobId}: ${e.message}`)
    throw e
  }
}

/** The block's score must be the one its shares combine to. */
export function checkScored(
  ctx: ScoredRuleContext,
  entry: ScoredRelease,
): { ok: true } | Exclude<ScoredVerdict, { ok: true }> {
  const verdict = combineScored(ctx, entry)
  if (!verdict.ok) return verdict
  const fixed = fixedScore(verdict.score)
  if (
    fixed.qualityScore !== entry.qualityScore ||
    JSON.stringify(fixed.components) !== JSON.stringify(entry.components)
  ) {
    return no(
      'SCORE_MISMATCH',
      `job ${entry.jobId}: the shares combine to score ${fixed.qualityScore}, the block states ${entry.qualityScore}`,
    )
  }
  return { ok: true }
}

/** The score as a block and the Anchor's leaf carry it: fixed point at QUALITY_SCALE. */
export function fixedScore(q: QualityScore): Pick<ScoredRelease, 'qualityScore' | 'components'> {
  const fixed = (v: number) => Math.round(v * QUALITY_SCALE)
  const c = q.components
  return {
    qualityScore: fixed(q.score),
    components: {
      sampleSize: fixed(c.sampleSize),
      completeness: fixed(c.completeness),
      plausibility: fixed(c.plausibility),
      fitness: fixed(c.fitness),
    },
  }
}

function checkShare(
  domain: Eip712Domain,
  committee: CommitteeView,
  entry: Pick<ScoredRelease, 'jobId' | 'resultHash' | 'participants'>,
  keyHash: Hex32,
  share: ScoreShare,
): { code: string; message: string } | undefined {
  if (share.jobId !== entry.jobId || share.resultHash !== entry.resultHash || share.keyHash !== keyHash) {
    return { code: 'SHARE_ELSEWHERE', message: 'is for another job, result or key' }
  }
  if (!entry.participants.includes(share.member)) {
    return { code: 'NOT_A_PARTICIPANT', message: `member ${share.member} is not in the participant set` }
  }
  const member = committee.members[share.member - 1]
  if (member === undefined || member !== share.validator.toLowerCase()) {
    return {
      code: 'NOT_A_MEMBER',
      message: `${share.validator} is not member ${share.member} of the committee`,
    }
  }
  if (scoreShareSigner(domain, share) !== member) {
    return { code: 'BAD_SIGNATURE', message: `not signed by member ${share.member} (${member})` }
  }
  return undefined
}

const sameSet = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i])
