import {
  BUYER_SHARES_INFO,
  type BuyerShares,
  buyerSharesCodec,
  type CommitteeInfo,
  eciesOpen,
  fromHex,
  type Hex32,
  type JobRecord,
  type OutputShares,
  outputSharesSigner,
  ROUTES,
  scoreShareSigner,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import {
  type AlgorithmSpec,
  combineStatResidues,
  committeePlan,
  compile,
  type FinishedOutputs,
  heContext,
  minQualityOf,
  onStatGrid,
  parseSpec,
  planPrivacy,
  releaseNoisy,
  rnsBasis,
  type VaultManifest,
} from '../../sandbox/index.ts'
import type { Client } from './client.ts'
import { ClientError } from './errors.ts'
import { validatorSetAt } from './validators.ts'

/**
 * The buyer's side of a threshold release: open each member's sealed output shares with the
 * sealing key the request named. No validator or relay could: they are sealed to the buyer, and
 * each alone is a residue of the member's key share under its smudging and privacy noise.
 */
export function openBuyerShares(
  releases: readonly ThresholdRelease[],
  sealingKey: Uint8Array,
  job: { readonly jobId: Hex32; readonly resultHash: Hex32 },
): BuyerShares[] {
  const opened = new Map<number, BuyerShares>()
  for (const r of releases) {
    const outputs = r.outputs
    if (!outputs) continue
    let shares: BuyerShares
    try {
      shares = buyerSharesCodec.decode(unsealOutputs(outputs, sealingKey))
    } catch (cause) {
      throw new ClientError('UNSEAL_FAILED', `member ${outputs.member}'s shares do not open with this key`, {
        cause,
      })
    }
    // The sealed shares must be the member's, for this job, result and set, as its signature says.
    if (
      shares.member !== outputs.member ||
      shares.jobId !== job.jobId ||
      shares.resultHash !== job.resultHash ||
      shares.participants.join(',') !== outputs.participants.join(',')
    ) {
      throw new ClientError(
        'RESULT_MISMATCH',
        `member ${outputs.member} sealed shares of another job, result or set`,
      )
    }
    opened.set(shares.member, shares)
  }
  return [...opened.values()]
}

/** A member's sealed output shares opened with the request's sealing key; throws if they do not open. */
export function unsealOutputs(outputs: OutputShares, sealingKey: Uint8Array): Uint8Array {
  return eciesOpen(
    {
      ephemeralPublicKey: fromHex(outputs.sealed.ephemeralPublicKey),
      nonce: fromHex(outputs.sealed.nonce),
      ciphertext: fromHex(outputs.sealed.ciphertext),
    },
    sealingKey,
    { info: BUYER_SHARES_INFO },
  )
}

/**
 * Every statistic, from the one set S whose t members' output shares are all here (honest members
 * share for the block's S only). It adds no noise: each member's share already carries its own.
 */
export function combineBuyerShares(
  primes: readonly bigint[],
  shares: readonly BuyerShares[],
  threshold: number,
): { readonly participants: readonly number[]; readonly stats: number[] } {
  const byMember = new Map(shares.map((s) => [s.member, s]))
  const complete = [
    ...new Set(
      shares
        .map((s) => s.participants)
        .filter(
          (p) =>
            p.length === threshold && p.every((m) => byMember.get(m)?.participants.join(',') === p.join(',')),
        )
        .map((p) => p.join(',')),
    ),
  ]
  if (complete.length > 1) {
    throw new ClientError(
      'RESULT_MISMATCH',
      `members shared for more than one set: ${complete.join(' and ')}`,
    )
  }
  const participants = complete[0]?.split(',').map(Number)
  if (!participants) {
    throw new ClientError(
      'RESULT_INCOMPLETE',
      `output shares from members ${[...byMember.keys()].join(', ') || 'none'}: the ${threshold} of the block's set are not all here yet`,
    )
  }
  const members = participants.map((m) => byMember.get(m)!)
  const constants = members[0]!.constants
  if (members.some((m) => JSON.stringify(m.constants) !== JSON.stringify(constants))) {
    throw new ClientError(
      'RESULT_MISMATCH',
      `members ${participants.join(', ')} state different result constants`,
    )
  }
  if (members.some((m) => m.stats.length !== constants.length)) {
    throw new ClientError('RESULT_MISMATCH', 'a member shares another number of statistics')
  }
  const stats = constants.map((c, i) =>
    combineStatResidues(
      primes,
      { c0: c.c0.map(BigInt), scale: c.scale },
      members.map((m) => m.stats[i]!.map(BigInt)),
    ),
  )
  return { participants, stats }
}

/** What the buyer gets of a committee-vault job: the outputs from t members' noisy shares. */
export interface ThresholdJobResult {
  readonly jobId: Hex32
  readonly resultHash: Hex32
  /** the members whose shares were combined: the set S the releasing block fixed */
  readonly participants: readonly number[]
  /** every statistic of the circuit as opened, each carrying t members' privacy noise, on its grid */
  readonly stats: readonly number[]
  /** finished from the noisy statistics, each field with its epsilon and 95% error (t noises) */
  readonly outputs: FinishedOutputs['outputs']
  /** the committee's score, as the block released it (fixed point, 1e6 = 1) */
  readonly qualityScore: number
  /** what the outputs spend (the vault is charged the score statistics' epsilon once more: node/jobs/budget.ts) */
  readonly epsilon: number
}

/**
 * The buyer's result of a job on a committee vault, from any node: the members' output shares it
 * holds, each signed by a validator of the committee's epoch on chain for the certified result,
 * opened with the request's sealing key and combined, then released like an owner's result (the
 * stated errors count the t members' noises). A job whose score in the block is below its
 * minQuality has no outputs: `BELOW_MIN_QUALITY`. The output shares follow the releasing block by
 * a moment (the members of S compute them once it is decided): `waitMs` keeps asking meanwhile.
 */
export async function thresholdResult(
  client: Client,
  jobId: Hex32,
  sealingKey: Uint8Array,
  options: { readonly waitMs?: number } = {},
): Promise<ThresholdJobResult> {
  return whileIncomplete(options.waitMs ?? 0, () => thresholdResultNow(client, jobId, sealingKey))
}

/** Asks again every half second while the shares are not all here or the job is not released yet. */
export async function whileIncomplete<T>(waitMs: number, attempt: () => Promise<T>): Promise<T> {
  const until = Date.now() + waitMs
  for (;;) {
    try {
      return await attempt()
    } catch (e) {
      const pending =
        e instanceof ClientError && (e.code === 'RESULT_INCOMPLETE' || e.code === 'NOT_RELEASED')
      if (!pending || Date.now() >= until) throw e
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}

/** What every committee result starts from: a job with a certified result and a score in a block. */
export interface ReleasedCommitteeJob {
  readonly record: JobRecord
  readonly resultHash: Hex32
  readonly manifest: VaultManifest
  readonly holder: NonNullable<VaultManifest['keyHolder']>
  readonly spec: AlgorithmSpec
  readonly qualityScore: number
}

/**
 * The job as any node reports it, checked to be on a committee vault, certified, scored in a
 * block, and at or above the minQuality it pays for (else BELOW_MIN_QUALITY, saying `belowMin`).
 */
export async function releasedCommitteeJob(
  client: Client,
  jobId: Hex32,
  belowMin: string,
): Promise<ReleasedCommitteeJob> {
  const record = await client.job(jobId)
  if (!record.resultHash) throw new ClientError('NOT_RELEASED', `job ${jobId} has no certified result yet`)
  const resultHash = record.resultHash as Hex32
  const manifest = await client.vault(record.request.request.vaultId)
  const holder = manifest.keyHolder
  if (!holder) throw new ClientError('BAD_RELEASE', `job ${jobId} is on an owner-mode vault: use result()`)
  const spec = parseSpec(record.request.request.algorithm.spec)
  const qualityScore = record.qualityScore
  if (qualityScore === undefined) {
    throw new ClientError('NOT_RELEASED', `job ${jobId}: the committee's score is not in a block yet`)
  }
  if (qualityScore < minQualityOf(spec)) {
    throw new ClientError(
      'BELOW_MIN_QUALITY',
      `job ${jobId} was certified with quality score ${qualityScore / 1e6}, below the minQuality ${spec.expect.minQuality} it pays for: ${belowMin}`,
    )
  }
  return { record, resultHash, manifest, holder, spec, qualityScore }
}

async function thresholdResultNow(
  client: Client,
  jobId: Hex32,
  sealingKey: Uint8Array,
): Promise<ThresholdJobResult> {
  const { resultHash, manifest, holder, spec, qualityScore } = await releasedCommitteeJob(
    client,
    jobId,
    'the job is refunded (less the evaluation fee) and no member releases its outputs',
  )
  const { committee, genuine } = await memberOutputsOf(client, jobId, holder, resultHash)
  const opened = openBuyerShares(genuine, sealingKey, { jobId, resultHash })
  const primes = rnsBasis(await heContext(manifest.profile)).primes
  const { participants, stats } = combineBuyerShares(primes, opened, committee.threshold)
  const circuit = compile(spec, manifest)
  if (stats.length !== circuit.stats.length) {
    throw new ClientError(
      'RESULT_MISMATCH',
      `${stats.length} statistics opened, the circuit has ${circuit.stats.length}`,
    )
  }
  const finished = finishThreshold(manifest, spec, stats, participants.length)
  return { jobId, resultHash, participants, qualityScore, ...finished }
}

/**
 * The committee that holds a vault's key now, and the output shares any node holds for a job that
 * a validator of its epoch signed, as the member it is, for this certified result and key: the
 * only ones a buyer combines.
 */
export async function memberOutputsOf(
  client: Client,
  jobId: Hex32,
  holder: NonNullable<VaultManifest['keyHolder']>,
  resultHash: Hex32,
): Promise<{ readonly committee: CommitteeInfo; readonly genuine: ThresholdRelease[] }> {
  // A reshare hands the key to later epochs' sets: the current holders release, if the key is theirs.
  const current = await client.api.maybe(ROUTES.committee, {})
  const committee =
    current?.keyHash === holder.keyHash && current.epoch >= holder.epoch
      ? current
      : await client.api.maybe(ROUTES.committeeOfEpoch, { params: { epoch: holder.epoch } })
  if (!committee || committee.keyHash !== holder.keyHash) {
    throw new ClientError(
      'COMMITTEE_KEY_INVALID',
      `${client.api.url} holds no committee key ${holder.keyHash}`,
    )
  }
  const chain = await client.chain()
  const validators = await validatorSetAt(chain, committee.epoch)
  const { releases } = await client.api.call(ROUTES.thresholdReleases, { params: { id: jobId } })
  // Only output shares a validator of the epoch signed, as the member it is, for this result count.
  const genuine = releases.filter((r) => {
    const signer = r.outputs && outputSharesSigner(chain.domain, r.outputs)
    return (
      signer !== undefined &&
      signer === scoreShareSigner(chain.domain, r.share) &&
      signer === r.outputs!.validator.toLowerCase() &&
      validators.has(signer) &&
      committee.members[r.outputs!.member - 1]?.toLowerCase() === signer &&
      r.outputs!.resultHash === resultHash &&
      r.outputs!.keyHash === holder.keyHash
    )
  })
  return { committee, genuine }
}

/**
 * The outputs of combined statistics that already carry `members` full-scale noises: each stat on
 * its grid (post-processing), then the one release path with the plan's deviations √members wider.
 */
export function finishThreshold(
  manifest: VaultManifest,
  spec: AlgorithmSpec,
  stats: readonly number[],
  members: number,
): Pick<ThresholdJobResult, 'stats' | 'outputs' | 'epsilon'> {
  const circuit = compile(spec, manifest)
  const plan = planPrivacy(spec, circuit, manifest)
  const noisy = stats.map((v, i) => onStatGrid(v, plan.stats[i]!))
  const released = releaseNoisy({
    manifest,
    circuit,
    plan: committeePlan(plan, members),
    expect: spec.expect,
    noisy: [...noisy],
  })
  return { stats: noisy, outputs: released.finished.outputs, epsilon: plan.epsilon }
}
