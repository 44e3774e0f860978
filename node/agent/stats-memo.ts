import type { SecretKey } from 'node-seal'
import type { Hex32 } from '../../protocol/index.ts'
import { type Circuit, decryptStats, type HeContext, type ResultBundle } from '../../sandbox/index.ts'
import { AgentError } from './errors.ts'

/** Results whose exact statistics are kept: a burst's jobs share one or a few results. */
export const DEFAULT_MEMO_ENTRIES = 4
/** How long a result's exact statistics are kept after they were decrypted. */
export const DEFAULT_MEMO_TTL_MS = 60_000

export type DecryptStats = typeof decryptStats

export interface StatsMemoOptions {
  readonly entries?: number
  readonly ttlMs?: number
  /** the decryption the memo saves; tests pass the real one wrapped to count its calls */
  readonly decrypt?: DecryptStats
  readonly now?: () => number
}

interface Entry {
  readonly stats: number[]
  readonly at: number
}

/**
 * The exact statistics of the last few certified results, decrypted once each: a burst of jobs with
 * one circuit on one vault has one result, and decrypting its ciphertexts again for every job was
 * most of the agent's CPU per job (~49 ms of 28 lone stats at the demo's size).
 *
 * Why holding them is safe. The agent holds the vault's secret key for as long as it runs, so
 * someone who reads its memory could decrypt any result at any moment: a plaintext aggregate it
 * could recompute gives that reader nothing new. What the buyer sees is unchanged: every release
 * still draws its own noise from its own job's privacy plan (the memo holds the statistics before
 * any noise, never a noisy draw), each job was charged its budget by the network at admission, and
 * only noised, sealed releases leave the process. The memo is read only after the caller has
 * checked the job's certificate, circuit and environment against the bundle, and it is keyed by
 * the result hash together with the circuit id: the result hash is a hash of the bundle's bytes,
 * circuit id and environment, and the circuit id a hash of the circuit, its packing included, so an
 * entry is only ever read for the same ciphertexts unpacked by the same plan. Entries are few,
 * expire, and are zeroed when they go.
 */
export class StatsMemo {
  readonly #entries = new Map<string, Entry>()
  readonly #max: number
  readonly #ttlMs: number
  readonly #decrypt: DecryptStats
  readonly #now: () => number

  constructor(options: StatsMemoOptions = {}) {
    this.#max = Math.max(1, options.entries ?? DEFAULT_MEMO_ENTRIES)
    this.#ttlMs = options.ttlMs ?? DEFAULT_MEMO_TTL_MS
    this.#decrypt = options.decrypt ?? decryptStats
    this.#now = options.now ?? Date.now
  }

  /**
   * The exact statistics of `bundle` under `circuit`, decrypted now or kept from an earlier job on
   * the same result. The caller must not change them and must not keep them past its release.
   */
  statsOf(
    he: HeContext,
    secretKey: SecretKey,
    bundle: ResultBundle,
    circuit: Pick<Circuit, 'stats' | 'packs'>,
    /** circuitIdOf(circuit), computed by the caller from the circuit itself, never read from the bundle */
    circuitId: Hex32,
  ): readonly number[] {
    // The bundle names the circuit it was evaluated under and its hash covers that name; the
    // circuit given must be that one, or its packs would unpack another circuit's ciphertexts.
    if (bundle.circuitId !== circuitId) {
      throw new AgentError(
        'RESULT_MISMATCH',
        `the result was evaluated under circuit ${bundle.circuitId}, not this job's ${circuitId}`,
      )
    }
    this.#expire()
    const key = `${bundle.resultHash}/${circuitId}`
    const kept = this.#entries.get(key)
    if (kept) return kept.stats
    const stats = this.#decrypt(he, secretKey, bundle, circuit)
    this.#entries.set(key, { stats, at: this.#now() })
    while (this.#entries.size > this.#max) this.#evict(this.#entries.keys().next().value as string)
    return stats
  }

  get size(): number {
    this.#expire()
    return this.#entries.size
  }

  /** Zeroes and drops every entry (the agent's stop). */
  clear(): void {
    for (const key of [...this.#entries.keys()]) this.#evict(key)
  }

  #expire(): void {
    const now = this.#now()
    for (const [key, entry] of this.#entries) {
      if (now - entry.at >= this.#ttlMs) this.#evict(key)
    }
  }

  #evict(key: string): void {
    this.#entries.get(key)?.stats.fill(0)
    this.#entries.delete(key)
  }
}
