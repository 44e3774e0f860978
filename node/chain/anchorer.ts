import type { Logger } from 'pino'
import { type Address, asError, type Hex32, needsAnchoring } from '../../protocol/index.ts'
import type { AnchorOutcome, AnchorRequest, ChainClient } from './chain-client.ts'
import { ChainError } from './errors.ts'

/** A height's anchor transaction; `byUs` tells whether this validator paid for it. */
export interface AnchoredEvent {
  readonly height: number
  readonly txHash: Hex32
  readonly byUs: boolean
  readonly gasUsed?: bigint
}

export type AnchorState =
  | { readonly status: 'waiting' }
  | { readonly status: 'submitting' }
  | { readonly status: 'nothing-to-anchor' }
  | { readonly status: 'anchored'; readonly event: AnchoredEvent }
  | { readonly status: 'failed'; readonly error: Error }

export interface AnchorerInit {
  readonly chain: Pick<ChainClient, 'address' | 'anchorBlock' | 'anchorTx' | 'isAnchored'>
  /** Takeover step: the k-th validator after the proposer waits k times this before anchoring; default 5 s. */
  readonly takeoverDelayMs?: number
  /** Pause before retrying after the RPC was unavailable or a transaction timed out; default 2 s. */
  readonly retryDelayMs?: number
  /** Attempts per height before giving up on it; default 5. */
  readonly maxAttempts?: number
  readonly onAnchored?: (event: AnchoredEvent) => void
  readonly onFailed?: (height: number, error: Error) => void
  readonly logger?: Logger
}

export interface Anchorer {
  /** Takes a decided block; returns at once, the anchoring runs in the background. */
  submit(decided: AnchorRequest): void
  state(height: number): AnchorState | undefined
  /** Cancels pending takeovers and waits for submissions in flight. */
  stop(): Promise<void>
}

const RETRYABLE = new Set(['RPC_UNAVAILABLE', 'TX_TIMEOUT'])

/**
 * Who anchors: the block's proposer at once; every other validator after its takeover rank times
 * `takeoverDelayMs`, and only if the height is still not anchored then. So one validator normally
 * pays, a silent proposer costs a delay but not the anchor, and if two ever submit together the
 * chain keeps one (HeightAlreadyAnchored) and the other sees `already-anchored`.
 */
export function createAnchorer(init: AnchorerInit): Anchorer {
  const { chain } = init
  const takeoverDelayMs = init.takeoverDelayMs ?? 5_000
  const retryDelayMs = init.retryDelayMs ?? 2_000
  const maxAttempts = init.maxAttempts ?? 5
  const log = init.logger?.child({ module: 'chain', component: 'anchorer' })
  const states = new Map<number, AnchorState>()
  const timers = new Map<number, NodeJS.Timeout>()
  const inFlight = new Set<Promise<void>>()
  let stopped = false

  const settle = (height: number, next: AnchorState) => {
    states.set(height, next)
    if (next.status === 'anchored') init.onAnchored?.(next.event)
    if (next.status === 'failed') init.onFailed?.(height, next.error)
  }

  const schedule = (decided: AnchorRequest, delayMs: number, attempt: number) => {
    const height = decided.header.height
    timers.set(
      height,
      setTimeout(() => {
        timers.delete(height)
        const run = attemptAnchor(decided, attempt).finally(() => inFlight.delete(run))
        inFlight.add(run)
      }, delayMs),
    )
  }

  const attemptAnchor = async (decided: AnchorRequest, attempt: number): Promise<void> => {
    const height = decided.header.height
    states.set(height, { status: 'submitting' })
    try {
      const outcome: AnchorOutcome = await chain.anchorBlock(decided)
      if (outcome.status === 'anchored') {
        settle(height, {
          status: 'anchored',
          event: { height, txHash: outcome.txHash, byUs: true, gasUsed: outcome.gasUsed },
        })
        return
      }
      // Someone else's transaction did it; the daemon still wants its hash for the job records.
      const tx = await chain.anchorTx(height)
      if (tx === undefined)
        throw new ChainError('RPC_UNAVAILABLE', `height ${height} anchored but no Anchored log yet`)
      settle(height, { status: 'anchored', event: { height, txHash: tx.txHash, byUs: false } })
    } catch (error) {
      const err = asError(error)
      const retryable = err instanceof ChainError && RETRYABLE.has(err.code)
      if (retryable && attempt < maxAttempts && !stopped) {
        log?.warn({ height, attempt, error: err.message }, 'anchoring failed, will retry')
        states.set(height, { status: 'waiting' })
        schedule(decided, retryDelayMs, attempt + 1)
        return
      }
      log?.error({ height, attempt, error: err.message }, 'anchoring failed')
      settle(height, { status: 'failed', error: err })
    }
  }

  return {
    submit(decided) {
      const height = decided.header.height
      if (stopped || states.has(height)) return
      // Blocks with only admissions carry no outcome; the next anchored block covers them via parentHash.
      if (!needsAnchoring(decided.header)) {
        states.set(height, { status: 'nothing-to-anchor' })
        return
      }
      states.set(height, { status: 'waiting' })
      schedule(decided, takeoverRank(decided, chain.address) * takeoverDelayMs, 1)
    },

    state: (height) => states.get(height),

    async stop() {
      stopped = true
      for (const timer of timers.values()) clearTimeout(timer)
      timers.clear()
      await Promise.allSettled([...inFlight])
    },
  }
}

/**
 * 0 for the block's proposer; otherwise 1 + this validator's place among the other signers of the
 * certificate in address order (non-signers after all signers). Staggering takeovers this way means
 * that when the proposer is silent, normally one validator takes over instead of all at once.
 */
export function takeoverRank(decided: AnchorRequest, self: Address): number {
  const proposer = decided.header.proposer.toLowerCase()
  if (self === proposer) return 0
  const others = decided.certificate.precommits
    .map((p) => p.validator.toLowerCase())
    .filter((v) => v !== proposer)
    .sort()
  const place = others.indexOf(self)
  return 1 + (place === -1 ? others.length : place)
}
