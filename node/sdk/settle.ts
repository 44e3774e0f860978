import {
  ContractRevertError,
  type Credit,
  type Hex32,
  merkleProof,
  outcomeLeaves,
  settlementCredits,
} from '../../protocol/index.ts'
import { type ChainContext, onChain } from './chain.ts'
import { ClientError } from './errors.ts'
import type { DecidedBlock, JobRecord } from './types.ts'

/**
 * How a job's escrow was closed on chain: by a proven release (paid; rejected when its certified
 * score is below the escrow's minimum, the buyer refunded less the evaluation fee), a proven failure
 * or expiry (refunded).
 */
export interface JobSettlement {
  readonly jobId: Hex32
  readonly status: 'paid' | 'rejected' | 'refunded'
  readonly txHash: Hex32
  /** Whether this call sent that transaction; false when the job was already settled. */
  readonly sentNow: boolean
  readonly owner?: Credit
  /** Paid on a pool: the owner share (wei, decimal) JobMarket holds for the contributors to claim. */
  readonly heldForContributors?: string
  readonly validators?: readonly Credit[]
  readonly buyer?: Credit
  /** Rejected only: the certified score and the minimum it fell short of, fixed point (QUALITY_SCALE). */
  readonly qualityScore?: number
  readonly minQuality?: number
}

/** What Client.settle needs of the client: the node's record and blocks, and its one-at-a-time sender. */
export interface SettleSource {
  readonly chain: ChainContext
  job(jobId: Hex32): Promise<Pick<JobRecord, 'stage' | 'releasedHeight' | 'failedHeight'>>
  block(height: number): Promise<Pick<DecidedBlock, 'block'> | undefined>
  transact<T>(what: string, send: () => Promise<T>): Promise<T>
}

/**
 * Closes a job's escrow by hand, exactly as the nodes do on their own: settle with the Merkle proof
 * of an anchored release, refundFailed with that of an anchored failure, or refundExpired once the
 * expiry and the settlement grace passed with neither. The node only supplies the block; the chain
 * checks the proof against the anchored root, so a lying node can make this fail, not misdirect it.
 * Idempotent: an escrow already closed is described from its JobPaid/JobRefunded event.
 */
export async function settleJob(source: SettleSource, jobId: Hex32): Promise<JobSettlement> {
  const { chain } = source
  const escrow = await onChain('read the escrow', () => chain.market.escrowOf(jobId))
  if (escrow.status === 'none') throw new ClientError('NO_ESCROW', `no escrow was opened for job ${jobId}`)
  if (escrow.status !== 'open') return closed(chain, jobId, false)

  const job = await source.job(jobId)
  const height =
    job.stage === 'released' ? job.releasedHeight : job.stage === 'failed' ? job.failedHeight : undefined
  const anchored =
    height === undefined ? undefined : await onChain('read the anchor', () => chain.anchor.anchored(height))
  if (height !== undefined && anchored !== undefined) {
    const decided = await source.block(height)
    if (decided === undefined)
      throw new ClientError('BAD_RESPONSE', `the node does not serve block ${height}`)
    const { block } = decided
    // In the leaves' order (outcomeLeaves): owner releases, threshold releases, failures.
    const releases = [...block.released, ...(block.scored ?? [])]
    const released = releases.findIndex((r) => r.jobId === jobId)
    const failed = block.failed.indexOf(jobId)
    if (released === -1 && failed === -1) {
      throw new ClientError('BAD_RESPONSE', `block ${height} does not close job ${jobId}`)
    }
    const leaves = outcomeLeaves(block)
    const index = released !== -1 ? released : releases.length + failed
    const proof = {
      height,
      epoch: anchored.epoch,
      signers: anchored.signers,
      path: merkleProof(leaves, index),
    }
    const release = releases[released]
    const sent = await send(source, () =>
      release !== undefined
        ? chain.market.settle(jobId, release.resultHash, release.qualityScore, proof)
        : chain.market.refundFailed(jobId, proof),
    )
    return closed(chain, jobId, sent)
  }
  const grace = await onChain('read the settlement grace', () => chain.market.settlementGrace())
  const now = BigInt((await chain.provider.getBlock('latest'))?.timestamp ?? 0)
  if (now > escrow.expiresAt + grace) {
    return closed(chain, jobId, await send(source, () => chain.market.refundExpired(jobId)))
  }
  throw new ClientError(
    'NOT_SETTLEABLE',
    `job ${jobId} is ${job.stage}${height === undefined ? '' : ` (block ${height} not anchored yet)`}; ` +
      `its escrow can be refunded after ${new Date(Number(escrow.expiresAt + grace) * 1000).toISOString()}`,
  )
}

/** Sends a closing transaction: false when it lost the race to another closing (not an error). */
async function send(source: SettleSource, call: () => Promise<unknown>): Promise<boolean> {
  if (source.chain.wallet === undefined)
    throw new ClientError('KEY_REQUIRED', 'a key is needed to pay for a settlement')
  return source.transact('close the escrow', call).then(
    () => true,
    (e: unknown) => {
      const lost =
        e instanceof ClientError && e.cause instanceof ContractRevertError && e.cause.reason === 'JobNotOpen'
      if (lost) return false
      throw e
    },
  )
}

async function closed(chain: ChainContext, jobId: Hex32, sentNow: boolean): Promise<JobSettlement> {
  const closing = await onChain('read the settlement', () => chain.market.closing(jobId))
  if (closing === undefined)
    throw new ClientError('BAD_RESPONSE', `job ${jobId} is closed but has no closing event`)
  const base = { jobId, txHash: closing.txHash, sentNow }
  if (closing.status === 'refunded') return { ...base, ...settlementCredits(closing, [], 0n) }
  // The validators are those of the anchored record the winning proof named.
  const tx = await chain.provider.getTransaction(closing.txHash)
  const decoded = tx === null ? null : chain.market.contract.interface.parseTransaction(tx)
  const proof =
    decoded?.name === 'settle' ? (decoded.args[3] as { epoch: bigint; signers: bigint }) : undefined
  const members = proof === undefined ? [] : await chain.validators.epochSet(Number(proof.epoch))
  return { ...base, ...settlementCredits(closing, members, proof?.signers ?? 0n) }
}
