import {
  BUYER_SHARES_INFO,
  type BuyerShares,
  buyerSharesCodec,
  eciesOpen,
  fromHex,
  type Hex32,
  ROUTES,
  scoreShareSigner,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import {
  combineStatResidues,
  compile,
  type FinishedOutputs,
  finish,
  heContext,
  parseSpec,
  rnsBasis,
} from '../../sandbox/index.ts'
import type { Client } from './client.ts'
import { ClientError } from './errors.ts'
import { validatorSetAt } from './validators.ts'

/**
 * The buyer's side of a threshold release: open each member's sealed shares with the sealing key
 * the request named, then combine t of them. No validator or relay could: every share is sealed to
 * the buyer, and each alone is a smudged residue of the member's key share.
 */
export function openBuyerShares(
  releases: readonly ThresholdRelease[],
  sealingKey: Uint8Array,
  job: { readonly jobId: Hex32; readonly resultHash: Hex32 },
): BuyerShares[] {
  const opened = new Map<number, BuyerShares>()
  for (const r of releases) {
    let shares: BuyerShares
    try {
      const bytes = eciesOpen(
        {
          ephemeralPublicKey: fromHex(r.sealed.ephemeralPublicKey),
          nonce: fromHex(r.sealed.nonce),
          ciphertext: fromHex(r.sealed.ciphertext),
        },
        sealingKey,
        { info: BUYER_SHARES_INFO },
      )
      shares = buyerSharesCodec.decode(bytes)
    } catch (cause) {
      throw new ClientError('UNSEAL_FAILED', `member ${r.share.member}'s shares do not open with this key`, {
        cause,
      })
    }
    // The sealed shares must be the member's, for this job and result, as its signed share says.
    if (
      shares.member !== r.share.member ||
      shares.jobId !== job.jobId ||
      shares.resultHash !== job.resultHash
    ) {
      throw new ClientError(
        'RESULT_MISMATCH',
        `member ${r.share.member} sealed shares of another job or result`,
      )
    }
    opened.set(shares.member, shares)
  }
  return [...opened.values()]
}

/**
 * Every statistic, from the first set of t members (in the members' lexicographic order) whose
 * shares are all here. Members of the set must state the same ciphertext constants.
 */
export function combineBuyerShares(
  primes: readonly bigint[],
  shares: readonly BuyerShares[],
  threshold: number,
): { readonly participants: readonly number[]; readonly stats: number[] } {
  const byMember = new Map(shares.map((s) => [s.member, s]))
  const candidates = shares
    .flatMap((s) => s.sets.map((x) => x.participants))
    .filter((p) => p.length === threshold && p.every((m) => byMember.has(m)))
    .sort((a, b) => a.join(',').localeCompare(b.join(',')))
  const participants = candidates[0]
  if (!participants) {
    throw new ClientError(
      'RESULT_INCOMPLETE',
      `shares from members ${[...byMember.keys()].join(', ')}: no set of ${threshold} is complete yet`,
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
  const sets = members.map((m) => m.sets.find((x) => x.participants.join(',') === participants.join(','))!)
  if (sets.some((s) => s.stats.length !== constants.length)) {
    throw new ClientError('RESULT_MISMATCH', 'a member shares another number of statistics')
  }
  const stats = constants.map((c, i) =>
    combineStatResidues(
      primes,
      { c0: c.c0.map(BigInt), scale: c.scale },
      sets.map((s) => s.stats[i]!.map(BigInt)),
    ),
  )
  return { participants, stats }
}

/** What the buyer gets of a committee-vault job: the outputs from t members' shares. */
export interface ThresholdJobResult {
  readonly jobId: Hex32
  readonly resultHash: Hex32
  /** the members whose shares were combined */
  readonly participants: readonly number[]
  /** every statistic of the circuit, opened (smudging error only) */
  readonly stats: readonly number[]
  readonly outputs: FinishedOutputs['outputs']
  /** the committee's score, as the block released it (fixed point, 1e6 = 1), once released */
  readonly qualityScore: number | undefined
}

/**
 * The buyer's result of a job on a committee vault, from any node: the member releases it holds,
 * each signed by a validator of the committee's epoch on chain and naming the certified result,
 * opened with the request's sealing key and combined, then finished like any result.
 */
export async function thresholdResult(
  client: Client,
  jobId: Hex32,
  sealingKey: Uint8Array,
): Promise<ThresholdJobResult> {
  const record = await client.job(jobId)
  if (!record.resultHash) throw new ClientError('NOT_RELEASED', `job ${jobId} has no certified result yet`)
  const resultHash = record.resultHash as Hex32
  const manifest = await client.vault(record.request.request.vaultId)
  const holder = manifest.keyHolder
  if (!holder) throw new ClientError('BAD_RELEASE', `job ${jobId} is on an owner-mode vault: use result()`)
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
  // Only shares a validator of the epoch signed for this result count; anything else is dropped.
  const genuine = releases.filter((r) => {
    const signer = scoreShareSigner(chain.domain, r.share)
    return (
      signer !== undefined &&
      signer === r.share.validator.toLowerCase() &&
      validators.has(signer) &&
      committee.members[r.share.member - 1]?.toLowerCase() === signer &&
      r.share.resultHash === resultHash &&
      r.share.keyHash === holder.keyHash
    )
  })
  const opened = openBuyerShares(genuine, sealingKey, { jobId, resultHash })
  const primes = rnsBasis(await heContext(manifest.profile)).primes
  const { participants, stats } = combineBuyerShares(primes, opened, committee.threshold)
  const circuit = compile(parseSpec(record.request.request.algorithm.spec), manifest)
  if (stats.length !== circuit.stats.length) {
    throw new ClientError(
      'RESULT_MISMATCH',
      `${stats.length} statistics opened, the circuit has ${circuit.stats.length}`,
    )
  }
  const finished = finish(circuit, stats, manifest.policy.minAggregation)
  return {
    jobId,
    resultHash,
    participants,
    stats,
    outputs: finished.outputs,
    qualityScore: record.qualityScore,
  }
}
