import type { Logger } from 'pino'
import {
  asError,
  type Block,
  type EscrowClosing,
  type Hex32,
  merkleProof,
  outcomeLeaves,
  settlementCredits,
} from '../../protocol/index.ts'
import type { Settlement } from '../storage/index.ts'
import { takeoverRank } from './anchorer.ts'
import type {
  AnchorRequest,
  AnchorTx,
  ChainClient,
  ProvenOutcome,
  SettleOutcome,
  SettleRequest,
} from './chain-client.ts'
import { ChainError } from './errors.ts'

/** An anchored block whose releases and failures are to be settled on chain. */
export interface SettleWork extends AnchorRequest {
  readonly block: Pick<Block, 'released' | 'failed' | 'certified' | 'scored'>
  /** Whether this validator sent the anchor transaction: it then settles at once, the others later. */
  readonly byUs: boolean
}

export interface SettlerInit {
  readonly chain: Pick<
    ChainClient,
    'address' | 'anchorTx' | 'settleJob' | 'settleJobs' | 'escrowClosing' | 'validatorSet'
  >
  /** Takeover step, as for anchoring: the k-th validator in line waits k times this; default 5 s. */
  readonly takeoverDelayMs?: number
  /** Pause before retrying after the RPC was unavailable or a transaction timed out; default 2 s. */
  readonly retryDelayMs?: number
  /** Attempts per block before giving up on it; default 5. */
  readonly maxAttempts?: number
  /** Whether a job's settlement is already recorded (after a restart, say): it is then skipped. */
  readonly isSettled?: (jobId: Hex32) => Promise<boolean>
  readonly onSettled?: (jobId: Hex32, settlement: Settlement) => void
  readonly onFailed?: (height: number, error: Error) => void
  readonly logger?: Logger
}

export interface Settler {
  /** Takes an anchored block; returns at once, the settling runs in the background. */
  submit(work: SettleWork): void
  /** Cancels pending takeovers and waits for settlements in flight. */
  stop(): Promise<void>
}

const RETRYABLE = new Set(['RPC_UNAVAILABLE', 'TX_TIMEOUT'])

/**
 * Closes the escrow of every job an anchored block released (JobMarket.settle) or failed
 * (refundFailed), so that sellers are paid without anyone remembering to. Who pays the gas follows
 * the anchoring: the validator that anchored the block at once, every other one after its takeover
 * rank, and only for escrows still open then. A job found closed (by another validator, by hand)
 * is recorded from its JobPaid/JobRefunded event rather than settled again.
 */
export function createSettler(init: SettlerInit): Settler {
  const { chain } = init
  const takeoverDelayMs = init.takeoverDelayMs ?? 5_000
  const retryDelayMs = init.retryDelayMs ?? 2_000
  const maxAttempts = init.maxAttempts ?? 5
  const log = init.logger?.child({ module: 'chain', component: 'settler' })
  const timers = new Set<NodeJS.Timeout>()
  const inFlight = new Set<Promise<void>>()
  const queued = new Set<number>()
  let stopped = false

  const schedule = (work: SettleWork, delayMs: number, attempt: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      const run = attemptSettle(work, attempt).finally(() => inFlight.delete(run))
      inFlight.add(run)
    }, delayMs)
    timers.add(timer)
  }

  const attemptSettle = async (work: SettleWork, attempt: number): Promise<void> => {
    const height = work.header.height
    try {
      const anchored = await chain.anchorTx(height)
      if (anchored === undefined) throw new ChainError('RPC_UNAVAILABLE', `no Anchored log for ${height} yet`)
      const leaves = outcomeLeaves(work.block)
      // In the leaves' order (outcomeLeaves): owner releases, threshold releases, failures.
      const outcomes: { jobId: Hex32; outcome: ProvenOutcome }[] = [
        ...[...work.block.released, ...(work.block.scored ?? [])].map((r) => ({
          jobId: r.jobId,
          outcome: { kind: 'released', resultHash: r.resultHash, qualityScore: r.qualityScore } as const,
        })),
        ...work.block.failed.map((jobId) => ({ jobId, outcome: { kind: 'failed' } as const })),
      ]
      const requests: SettleRequest[] = []
      for (const [index, { jobId, outcome }] of outcomes.entries()) {
        if (stopped) return
        if (await init.isSettled?.(jobId)) continue
        const proof = {
          height,
          epoch: anchored.epoch,
          signers: anchored.signers,
          path: merkleProof(leaves, index),
        }
        requests.push({ jobId, outcome, proof })
      }
      if (stopped || requests.length === 0) return
      for (const [i, sent] of (await settleAll(requests, height)).entries()) {
        if (stopped) return
        const { jobId } = requests[i]!
        if (sent === undefined) continue
        const from = sent.status === 'settled' ? sent.blockNumber : anchored.blockNumber
        const closing =
          (sent.status === 'settled' ? sent.closing : undefined) ?? (await chain.escrowClosing(jobId, from))
        // Not open and not closed since the anchor: never escrowed, or refunded before this block was anchored.
        if (closing === undefined) {
          log?.warn({ jobId, height }, 'no open escrow to settle')
          continue
        }
        const settlement = await describe(closing, anchored, height, sent.status === 'settled')
        log?.info({ jobId, height, status: settlement.status, txHash: settlement.txHash }, 'job settled')
        init.onSettled?.(jobId, settlement)
      }
    } catch (error) {
      const err = asError(error)
      if (err instanceof ChainError && RETRYABLE.has(err.code) && attempt < maxAttempts && !stopped) {
        log?.warn({ height, attempt, error: err.message }, 'settling failed, will retry')
        schedule(work, retryDelayMs, attempt + 1)
        return
      }
      log?.error({ height, attempt, error: err.message }, 'settling failed')
      init.onFailed?.(height, err)
    }
  }

  /**
   * A block's outcomes in one settleMany transaction; when the chain refuses it (one outcome's
   * proof, say), each job on its own, so that job alone is left unsettled (undefined) and logged.
   */
  const settleAll = async (
    requests: readonly SettleRequest[],
    height: number,
  ): Promise<Array<SettleOutcome | undefined>> => {
    if (requests.length > 1) {
      try {
        return await chain.settleJobs(requests)
      } catch (error) {
        if (!(error instanceof ChainError && error.code === 'REVERTED')) throw error
        log?.warn(
          { height, reason: error.reason },
          'settling the block at once reverted; settling job by job',
        )
      }
    }
    const answers: Array<SettleOutcome | undefined> = []
    for (const request of requests) {
      if (stopped) break
      try {
        answers.push(await chain.settleJob(request))
      } catch (error) {
        // One job the chain refuses (say, InvalidProof) must not hold up the others in the block.
        if (error instanceof ChainError && error.code === 'REVERTED') {
          log?.error({ jobId: request.jobId, height, reason: error.reason }, 'settling a job reverted')
          init.onFailed?.(height, error)
          answers.push(undefined)
          continue
        }
        throw error
      }
    }
    return answers
  }

  /** The settlement record: JobMarket's own figures, with the validators the proof's bitmap named. */
  const describe = async (
    closing: EscrowClosing,
    anchored: AnchorTx,
    height: number,
    byUs: boolean,
  ): Promise<Settlement> => {
    const set = await chain.validatorSet(anchored.epoch)
    return {
      txHash: closing.txHash,
      byUs,
      height,
      ...settlementCredits(closing, set.members, anchored.signers),
    }
  }

  return {
    submit(work) {
      const height = work.header.height
      if (stopped || queued.has(height)) return
      const { released, scored = [], failed } = work.block
      if (released.length === 0 && scored.length === 0 && failed.length === 0) return
      queued.add(height)
      const rank = work.byUs ? 0 : takeoverRank(work, chain.address) + 1
      schedule(work, rank * takeoverDelayMs, 1)
    },

    async stop() {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      await Promise.allSettled([...inFlight])
    },
  }
}
