import type { Logger } from 'pino'
import type { Hex32 } from '../protocol/index.ts'
import type { VaultManifest } from '../sandbox/index.ts'
import { NodeError } from './errors.ts'
import type { VaultWarmth } from './jobs/executor.ts'
import type { NodeChain } from './ports.ts'

/**
 * How much work others can make this node do before any job. Anyone who pays a registration's gas
 * can publish a vault; every validator hears of it. So: one vault warmed at a time, few waiting
 * (past it, a vault is left to fetch-at-admission), vaults above a size cap never warmed, a
 * vault given up after a few failures, and warming yields to every job's evaluation.
 */
export interface WarmLimits {
  /** vaults waiting to be warmed; offers past it are dropped (their first job fetches at admission) */
  readonly maxQueued: number
  /** ciphertexts a vault may have and still be warmed: past it only a job makes this node fetch it */
  readonly maxCiphertexts: number
  /** tries per vault (its manifest is published some time after its registration) */
  readonly attempts: number
  /** how often the chain is asked for new registrations */
  readonly pollMs: number
  /** vault ids remembered as offered, so a vault is warmed once (oldest forgotten first) */
  readonly maxRemembered: number
  /**
   * ciphertexts warmed in any hour, all vaults together: a registration costs only gas, and a job
   * (which pays) was the only way to make this node fetch before; past it, vaults wait for a job
   */
  readonly maxCiphertextsPerHour: number
}

const HOUR_MS = 60 * 60_000
const MAX_LOG_BLOCKS = 5000

export const DEFAULT_WARM_LIMITS: WarmLimits = {
  maxQueued: 8,
  // The demo vault has 27; 1024 at ckks-8192 is ~2 M values, ~0.4 GB of expanded ciphertexts.
  maxCiphertexts: 1024,
  attempts: 4,
  pollMs: 1000,
  maxRemembered: 4096,
  maxCiphertextsPerHour: 4096,
}

export interface VaultWarmerDeps {
  readonly chain: Pick<NodeChain, 'latestBlock' | 'vaultsChanged' | 'vault'>
  readonly manifest: (vaultId: Hex32) => Promise<VaultManifest>
  /** fetches, ingests and warms the vault (Executor.warm), yielding to jobs through `idle` */
  readonly warm: (manifest: VaultManifest, idle: () => Promise<void>) => Promise<VaultWarmth>
  /** whether an evaluation waits for a worker now */
  readonly jobsWaiting: () => boolean
  /** the vaults this node holds from before its start: their workers' keys and SEAL are readied too */
  readonly stored?: () => Promise<readonly Hex32[]>
  readonly logger: Logger
  readonly limits?: Partial<WarmLimits>
  /** backoff unit between a vault's tries, ms */
  readonly retryMs?: number
  readonly now?: () => number
}

export type WarmOffer = 'queued' | 'known' | 'full'

/**
 * Makes a vault ready on this node when it is published, before any job on it: a vault's first
 * job otherwise pays its blobs' fetch and the worker's cold costs (seconds). Learns of vaults from
 * the chain (VaultRegistered/VaultUpdated), from publications to this node and, at start, from its
 * store (a restarted worker has no SEAL context and no keys loaded). A vault it misses
 * (published while the node was down, dropped by a bound) is fetched by its first job, as before.
 */
export class VaultWarmer {
  readonly #deps: VaultWarmerDeps
  readonly #limits: WarmLimits
  readonly #queue: Array<{ vaultId: Hex32; attempt: number }> = []
  readonly #offered = new Set<Hex32>()
  readonly #timers = new Set<NodeJS.Timeout>()
  /** ciphertexts warmed, by when: the last hour's count against maxCiphertextsPerHour */
  readonly #spent: Array<{ at: number; ciphertexts: number }> = []
  #nextBlock: number | undefined
  #draining = false
  #stopped = true
  #pollTimer: NodeJS.Timeout | undefined

  constructor(deps: VaultWarmerDeps) {
    this.#deps = deps
    this.#limits = { ...DEFAULT_WARM_LIMITS, ...deps.limits }
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#schedulePoll(0)
    void this.#drain()
    this.#deps
      .stored?.()
      .then((ids) => {
        for (const id of ids) this.offer(id)
      })
      .catch((e: unknown) => this.#deps.logger.warn({ err: e }, 'listing stored vaults to warm failed'))
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#pollTimer)
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    this.#queue.length = 0
  }

  /** Vaults waiting to be warmed. */
  get queued(): number {
    return this.#queue.length
  }

  /** Asks for `vaultId` to be warmed: once per vault, while the queue has room (kept until `start`). */
  offer(vaultId: Hex32): WarmOffer {
    if (this.#offered.has(vaultId)) return 'known'
    if (this.#queue.length >= this.#limits.maxQueued) {
      this.#deps.logger.info({ vaultId }, 'vault not warmed: the warming queue is full')
      return 'full'
    }
    this.#offered.add(vaultId)
    if (this.#offered.size > this.#limits.maxRemembered)
      this.#offered.delete(this.#offered.values().next().value as Hex32)
    this.#queue.push({ vaultId, attempt: 1 })
    void this.#drain()
    return 'queued'
  }

  #schedulePoll(ms: number): void {
    if (this.#stopped) return
    this.#pollTimer = setTimeout(() => void this.#poll(), ms)
    this.#pollTimer.unref()
  }

  async #poll(): Promise<void> {
    try {
      const latest = await this.#deps.chain.latestBlock()
      // Vaults registered before this node started are fetched by their first job.
      // After a long chain outage only the latest blocks are scanned: RPC nodes cap a log query's range.
      const from = Math.max(this.#nextBlock ?? latest + 1, latest - MAX_LOG_BLOCKS)
      if (latest >= from) {
        for (const vaultId of await this.#deps.chain.vaultsChanged(from, latest)) this.offer(vaultId)
      }
      this.#nextBlock = Math.max(from, latest + 1)
    } catch (e) {
      this.#deps.logger.warn({ err: e }, 'reading vault registrations failed; retrying')
    }
    this.#schedulePoll(this.#limits.pollMs)
  }

  async #drain(): Promise<void> {
    if (this.#draining || this.#stopped) return
    this.#draining = true
    try {
      while (!this.#stopped) {
        const next = this.#queue.shift()
        if (!next) break
        await this.#warmOne(next.vaultId, next.attempt)
      }
    } finally {
      this.#draining = false
    }
  }

  async #warmOne(vaultId: Hex32, attempt: number): Promise<void> {
    const log = this.#deps.logger.child({ vaultId })
    try {
      const manifest = await this.#eligible(vaultId)
      const warmth = await this.#deps.warm(manifest, () => this.#idle())
      log.info(roundedMs(warmth), 'vault warmed')
    } catch (e) {
      if (e instanceof NodeError && e.code === 'WARM_DECLINED') {
        log.info({ reason: e.message }, 'vault not warmed')
      } else if (attempt < this.#limits.attempts && !this.#stopped) {
        log.info({ err: e, attempt }, 'warming a vault failed; retrying')
        const timer = setTimeout(
          () => {
            this.#timers.delete(timer)
            if (this.#queue.length >= this.#limits.maxQueued) return
            this.#queue.push({ vaultId, attempt: attempt + 1 })
            void this.#drain()
          },
          (this.#deps.retryMs ?? 2000) * attempt,
        )
        timer.unref()
        this.#timers.add(timer)
      } else {
        log.warn({ err: e, attempt }, 'vault not warmed: its first job fetches it')
      }
    }
  }

  /** The vault, if this node would take a job on it and it is within the warming bounds. */
  async #eligible(vaultId: Hex32): Promise<VaultManifest> {
    const onChain = await this.#deps.chain.vault(vaultId)
    if (!onChain?.active) throw new NodeError('WARM_DECLINED', `vault ${vaultId} is not active on chain`)
    const manifest = await this.#deps.manifest(vaultId)
    if (manifest.pool)
      throw new NodeError('WARM_DECLINED', `vault ${vaultId} is a pool: its jobs read snapshots`)
    const ciphertexts = manifest.columns.reduce((n, c) => n + c.chunks.length, 0)
    if (ciphertexts > this.#limits.maxCiphertexts) {
      throw new NodeError(
        'WARM_DECLINED',
        `vault ${vaultId} has ${ciphertexts} ciphertexts, over the warming cap of ${this.#limits.maxCiphertexts}`,
      )
    }
    const now = (this.#deps.now ?? Date.now)()
    while (this.#spent.length > 0 && this.#spent[0]!.at <= now - HOUR_MS) this.#spent.shift()
    const spent = this.#spent.reduce((n, s) => n + s.ciphertexts, 0)
    if (spent + ciphertexts > this.#limits.maxCiphertextsPerHour) {
      throw new NodeError(
        'WARM_DECLINED',
        `${spent} ciphertexts warmed in the last hour; vault ${vaultId}'s ${ciphertexts} would pass the ${this.#limits.maxCiphertextsPerHour} an hour allows`,
      )
    }
    // Charged before the fetch, so a vault that fails still counts: a failing spammer is bounded too.
    this.#spent.push({ at: now, ciphertexts })
    return manifest
  }

  /** Resolves once no evaluation waits for a worker: warming goes after jobs. */
  async #idle(): Promise<void> {
    while (this.#deps.jobsWaiting() && !this.#stopped) await new Promise((r) => setTimeout(r, 50))
  }
}

function roundedMs(w: VaultWarmth): Record<string, number> {
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Math.round(v)]))
}
