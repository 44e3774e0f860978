import {
  type Address,
  type Hex32,
  type JobPayouts,
  type PoolHold,
  type PoolPayouts,
  payoutProof,
  poolPayouts,
  poolResultHash,
} from '../../protocol/index.ts'
import { type ChainContext, onChain } from './chain.ts'
import { ClientError } from './errors.ts'

/** What claiming needs of the client: the chain, a node's payouts answer, its one-at-a-time sender. */
export interface PayoutSource {
  readonly chain: ChainContext
  payouts(jobId: Hex32): Promise<JobPayouts | undefined>
  transact<T>(what: string, send: () => Promise<T>): Promise<T>
}

/** A contributor's payout from one pool job. */
export interface PayoutClaimed {
  readonly jobId: Hex32
  readonly contributor: Address
  readonly contributions: number
  /** contributions of everyone in the job's snapshot */
  readonly total: number
  /** wei credited to the contributor's JobMarket balance (withdraw to receive it) */
  readonly amount: bigint
  /** the claim transaction; undefined when the payout had been claimed before */
  readonly txHash: Hex32 | undefined
}

/** One pool job a contributor has a share of, claimed or not. */
export interface PoolEarning {
  readonly jobId: Hex32
  readonly vaultId: Hex32
  readonly contributions: number
  readonly total: number
  /** its pro rata share of what the job holds, rounded down (a claim may pay one wei more) */
  readonly amount: bigint
  readonly claimed: boolean
}

export interface PoolEarnings {
  readonly contributor: Address
  readonly jobs: readonly PoolEarning[]
  /** wei claimable now, summed over the unclaimed jobs */
  readonly claimable: bigint
  /** wei already credited and not withdrawn (JobMarket balance; validators' and owners' credits too) */
  readonly withdrawable: bigint
}

/**
 * The payouts of a settled pool job, from a node, checked against the chain: the counts must build
 * the root and total served, and those with the bundle hash must hash to the result the job settled
 * with. So a lying node can make a claim fail, never misdirect it (JobMarket checks the same).
 */
async function checkedPayouts(
  source: PayoutSource,
  jobId: Hex32,
): Promise<{ payouts: PoolPayouts; bundleHash: Hex32; hold: PoolHold }> {
  const { chain } = source
  const hold = await onChain('read the pool hold', () => chain.market.poolHold(jobId))
  if (hold === undefined) {
    const escrow = await onChain('read the escrow', () => chain.market.escrowOf(jobId))
    const why =
      escrow.status === 'none'
        ? 'no escrow was opened for it'
        : escrow.status === 'open'
          ? 'its escrow is not settled yet (tcf job settle)'
          : escrow.status === 'paid'
            ? 'its vault is not a pool: the owner was paid'
            : `its escrow was ${escrow.status}: the buyer got it back, there is nothing to share`
    throw new ClientError('NOT_CLAIMABLE', `job ${jobId} holds nothing for contributors: ${why}`)
  }
  const served = await source.payouts(jobId)
  if (served === undefined) {
    throw new ClientError('PAYOUTS_UNAVAILABLE', `the node serves no payouts for pool job ${jobId}`)
  }
  const payouts = poolPayouts(new Map(served.leaves.map((l) => [l.contributor, l.contributions])))
  if (payouts.root !== served.root || payouts.total !== served.total) {
    throw new ClientError('BAD_RESPONSE', `the payouts served for ${jobId} do not build the root they name`)
  }
  if (poolResultHash(served.bundleHash, payouts) !== hold.resultHash) {
    throw new ClientError(
      'BAD_RESPONSE',
      `the payouts served for ${jobId} are not those its settled result hash ${hold.resultHash} binds`,
    )
  }
  return { payouts, bundleHash: served.bundleHash, hold }
}

/**
 * Contributor: credits `contributor` (the client's own address by default) its share of a settled
 * pool job. Anyone may send the claim, and only the contributor is credited; idempotent, a payout
 * claimed before reports its amount without a transaction.
 */
export async function claimPayout(
  source: PayoutSource,
  jobId: Hex32,
  contributor?: Address,
): Promise<PayoutClaimed> {
  const { chain } = source
  const who = (contributor ?? chain.wallet?.address)?.toLowerCase() as Address | undefined
  if (who === undefined) throw new ClientError('KEY_REQUIRED', 'a key is needed to claim a payout')
  const { payouts, bundleHash, hold } = await checkedPayouts(source, jobId)
  const leaf = payouts.leaves.find((l) => l.contributor === who)
  if (leaf === undefined) {
    throw new ClientError('NOT_A_CONTRIBUTOR', `${who} has no contribution in the snapshot job ${jobId} read`)
  }
  const base = { jobId, contributor: who, contributions: leaf.contributions, total: payouts.total }
  const earlier = async (): Promise<PayoutClaimed> => ({
    ...base,
    amount: await claimedAmount(chain, jobId, who),
    txHash: undefined,
  })
  if (await onChain('read the claim', () => chain.market.payoutClaimed(jobId, who))) return earlier()
  if (chain.wallet === undefined) throw new ClientError('KEY_REQUIRED', 'a key is needed to pay for a claim')
  const claim = {
    jobId,
    bundleHash,
    root: payouts.root,
    total: payouts.total,
    contributor: who,
    contributions: leaf.contributions,
    proof: payoutProof(payouts, who),
  }
  const receipt = await source
    .transact('claim the payout', () => chain.market.claimPayout(claim))
    .catch(async (e: unknown) => {
      // Lost a race to another sender of the same claim: it was credited all the same.
      if (await chain.market.payoutClaimed(jobId, who).catch(() => false)) return undefined
      throw e
    })
  if (receipt === undefined) return earlier()
  const event = receipt.logs
    .map((log) => chain.market.contract.interface.parseLog(log))
    .find((parsed) => parsed?.name === 'PayoutClaimed')
  const amount =
    (event?.args.amount as bigint | undefined) ??
    (hold.amount * BigInt(leaf.contributions)) / BigInt(payouts.total)
  return { ...base, amount, txHash: receipt.hash as Hex32 }
}

/** The amount a PayoutClaimed event credited `contributor` for `jobId`. */
async function claimedAmount(chain: ChainContext, jobId: Hex32, contributor: Address): Promise<bigint> {
  const { contract } = chain.market
  const logs = await onChain('read the claim event', () =>
    contract.queryFilter(contract.filters.PayoutClaimed!(jobId, contributor)),
  )
  const parsed = logs[0] === undefined ? null : contract.interface.parseLog(logs[0])
  return (parsed?.args.amount as bigint | undefined) ?? 0n
}

/**
 * Contributor: what `contributor` has earned from pool jobs (of one pool, or all), claimed or not,
 * and what it can withdraw now. Jobs whose payouts the node does not serve are left out.
 */
export async function poolEarnings(
  source: PayoutSource,
  contributor: Address,
  options: { readonly vaultId?: Hex32 } = {},
): Promise<PoolEarnings> {
  const { chain } = source
  const who = contributor.toLowerCase() as Address
  const held = await onChain('list the pool jobs', () =>
    chain.market.poolJobs(options.vaultId === undefined ? {} : { vaultId: options.vaultId }),
  )
  const jobs: PoolEarning[] = []
  for (const job of held) {
    const checked = await checkedPayouts(source, job.jobId).catch((e: unknown) => {
      if (e instanceof ClientError && e.code === 'PAYOUTS_UNAVAILABLE') return undefined
      throw e
    })
    const leaf = checked?.payouts.leaves.find((l) => l.contributor === who)
    if (checked === undefined || leaf === undefined) continue
    jobs.push({
      jobId: job.jobId,
      vaultId: job.vaultId,
      contributions: leaf.contributions,
      total: checked.payouts.total,
      amount: (job.amount * BigInt(leaf.contributions)) / BigInt(checked.payouts.total),
      claimed: await onChain('read the claim', () => chain.market.payoutClaimed(job.jobId, who)),
    })
  }
  return {
    contributor: who,
    jobs,
    claimable: jobs.filter((j) => !j.claimed).reduce((sum, j) => sum + j.amount, 0n),
    withdrawable: await onChain('read the balance', () => chain.market.balance(who)),
  }
}
