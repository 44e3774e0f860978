import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { PeerAddress } from './libp2p.ts'

export interface RedialOptions {
  /** First retry delay after a failed dial or a disconnect. */
  readonly minDelayMs: number
  /** Retry delays double up to this; also how often a connected peer is checked. */
  readonly maxDelayMs: number
  /** Give up on one dial attempt after this long. */
  readonly dialTimeoutMs: number
}

export const DEFAULT_REDIAL: RedialOptions = { minDelayMs: 250, maxDelayMs: 10_000, dialTimeoutMs: 5_000 }

interface Target {
  readonly address: PeerAddress
  delayMs: number
  timer: NodeJS.Timeout | undefined
  dialing: boolean
}

/**
 * Keeps this node connected to a fixed set of peers (bootstrap nodes, validators) for as long as it
 * runs. libp2p's own reconnect queue gives up after a few retries and @libp2p/bootstrap dials only
 * once at start, but a validator that restarts must be found again however long it was away: every
 * target is retried with capped exponential backoff and jitter, forever, and re-checked
 * periodically while connected.
 */
export class Redialer {
  private readonly node: Pick<Libp2p, 'dial' | 'getConnections' | 'addEventListener' | 'removeEventListener'>
  private readonly targets: Map<string, Target>
  private readonly options: RedialOptions
  private readonly log: Logger
  private stopping = new AbortController()
  private started = false

  constructor(
    node: Pick<Libp2p, 'dial' | 'getConnections' | 'addEventListener' | 'removeEventListener'>,
    addresses: readonly PeerAddress[],
    options: RedialOptions,
    log: Logger,
  ) {
    this.node = node
    this.options = options
    this.log = log
    this.targets = new Map(
      addresses.map((address) => [
        address.peerId.toString(),
        { address, delayMs: options.minDelayMs, timer: undefined, dialing: false },
      ]),
    )
  }

  /** Replaces the peers to keep connected to: new ones are dialled now, dropped ones are no longer redialled. */
  setTargets(addresses: readonly PeerAddress[]): void {
    const wanted = new Map(addresses.map((a) => [a.peerId.toString(), a]))
    for (const [id, target] of this.targets) {
      if (wanted.has(id)) continue
      clearTimeout(target.timer)
      this.targets.delete(id)
    }
    for (const [id, address] of wanted) {
      if (this.targets.has(id)) continue
      const target: Target = { address, delayMs: this.options.minDelayMs, timer: undefined, dialing: false }
      this.targets.set(id, target)
      if (this.running) void this.attempt(target)
    }
  }

  private get running(): boolean {
    return this.started && !this.stopping.signal.aborted
  }

  start(): void {
    this.started = true
    this.stopping = new AbortController()
    this.node.addEventListener('peer:disconnect', this.onDisconnect)
    for (const target of this.targets.values()) void this.attempt(target)
  }

  stop(): void {
    this.stopping.abort()
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const target of this.targets.values()) {
      clearTimeout(target.timer)
      target.timer = undefined
    }
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    const target = this.targets.get(event.detail.toString())
    if (target === undefined || this.stopping.signal.aborted) return
    // Another connection to the peer may remain; attempt() checks before dialing.
    target.delayMs = this.options.minDelayMs
    this.schedule(target, this.options.minDelayMs)
  }

  private schedule(target: Target, delayMs: number): void {
    clearTimeout(target.timer)
    target.timer = setTimeout(() => void this.attempt(target), delayMs)
    // A pending retry must not keep the process alive after the daemon is done.
    target.timer.unref()
  }

  private async attempt(target: Target): Promise<void> {
    const signal = this.stopping.signal
    if (signal.aborted || target.dialing) return
    if (this.node.getConnections(target.address.peerId).length > 0) {
      this.schedule(target, this.options.maxDelayMs)
      return
    }
    target.dialing = true
    try {
      await this.node.dial(target.address.addr, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.dialTimeoutMs)]),
      })
      target.delayMs = this.options.minDelayMs
      this.log.debug({ peer: target.address.peerId.toString() }, 'connected to known peer')
      if (!signal.aborted) this.schedule(target, this.options.maxDelayMs)
    } catch (error) {
      if (signal.aborted) return
      const delayMs = target.delayMs
      target.delayMs = Math.min(delayMs * 2, this.options.maxDelayMs)
      this.log.debug(
        { peer: target.address.peerId.toString(), retryInMs: delayMs, err: String(error) },
        'dial to known peer failed',
      )
      // Jitter keeps a restarted validator from being hit by every peer in the same instant.
      this.schedule(target, delayMs * (0.5 + Math.random() / 2))
    } finally {
      target.dialing = false
    }
  }
}
