import type { Address, Block, Hex32, SignedContribution } from '../../protocol/index.ts'

/** One admitted contribution as the log keeps it: its signed claim and the height that admitted it. */
export interface PoolEntry {
  readonly height: number
  readonly claim: SignedContribution
}

/**
 * A pool as of a height at which it changed: how many contributions it holds and how many of them
 * each contributor made. What a job on the snapshot is priced, bounded and paid by.
 */
export interface PoolSnapshot {
  readonly height: number
  /** contributions in the pool up to and including this height */
  readonly count: number
  /** contributions per contributor (lower-case address) up to and including this height */
  readonly counts: ReadonlyMap<Address, number>
  /** index in the log of the first entry this height added; entries [from, count) */
  readonly from: number
}

interface PoolState {
  readonly entries: PoolEntry[]
  readonly snapshots: PoolSnapshot[]
  readonly counts: Map<Address, number>
  /** `${contributor}/${window}` → contributions admitted in that window */
  readonly windows: Map<string, number>
  /** `${contributor}/${sequence}` */
  readonly sequences: Set<string>
  readonly banned: Set<Address>
}

const lower = (a: string) => a.toLowerCase() as Address

/**
 * The pools' append-only logs, part of the replicated state: only decided blocks change them (the
 * Ledger applies each block's `contributions` and `poolBans` here), so every validator holds the
 * same logs and the same snapshots. Rebuilt on restart by replaying the stored blocks, like the
 * jobs. The ciphertexts stay blobs; their running sums are node/pools/aggregates.ts's.
 */
export class PoolLog {
  readonly #pools = new Map<Hex32, PoolState>()
  /** every contribution blob any pool admitted: the same bytes never count twice, in any pool */
  readonly #blobs = new Set<Hex32>()

  apply(block: Pick<Block, 'height' | 'contributions' | 'poolBans'>): Hex32[] {
    const touched = new Set<Hex32>()
    for (const claim of block.contributions ?? []) {
      const c = claim.contribution
      const pool = this.#state(c.poolId)
      const who = lower(c.contributor)
      pool.entries.push({ height: block.height, claim })
      pool.counts.set(who, (pool.counts.get(who) ?? 0) + 1)
      const window = `${who}/${c.window}`
      pool.windows.set(window, (pool.windows.get(window) ?? 0) + 1)
      pool.sequences.add(`${who}/${c.sequence}`)
      this.#blobs.add(c.blobId)
      touched.add(c.poolId)
    }
    for (const poolId of touched) {
      const pool = this.#state(poolId)
      const last = pool.snapshots.at(-1)
      pool.snapshots.push({
        height: block.height,
        count: pool.entries.length,
        counts: new Map(pool.counts),
        from: last?.count ?? 0,
      })
    }
    // After the contributions: a ban in a block does not undo what the same block admitted.
    for (const ban of block.poolBans ?? []) this.#state(ban.poolId).banned.add(lower(ban.contributor))
    return [...touched]
  }

  /** The pool's latest snapshot at or below `height`; undefined before its first contribution. */
  snapshot(poolId: Hex32, height: number): PoolSnapshot | undefined {
    const snapshots = this.#pools.get(poolId)?.snapshots ?? []
    let lo = 0
    let hi = snapshots.length - 1
    let found: PoolSnapshot | undefined
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (snapshots[mid]!.height <= height) {
        found = snapshots[mid]
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  /** Snapshots of a pool in height order. */
  snapshots(poolId: Hex32): readonly PoolSnapshot[] {
    return this.#pools.get(poolId)?.snapshots ?? []
  }

  /** Log entries [from, to) of a pool. */
  entries(poolId: Hex32, from = 0, to?: number): readonly PoolEntry[] {
    return (this.#pools.get(poolId)?.entries ?? []).slice(from, to)
  }

  size(poolId: Hex32): number {
    return this.#pools.get(poolId)?.entries.length ?? 0
  }

  inWindow(poolId: Hex32, contributor: Address, window: number): number {
    return this.#pools.get(poolId)?.windows.get(`${lower(contributor)}/${window}`) ?? 0
  }

  hasSequence(poolId: Hex32, contributor: Address, sequence: number): boolean {
    return this.#pools.get(poolId)?.sequences.has(`${lower(contributor)}/${sequence}`) ?? false
  }

  hasBlob(blobId: Hex32): boolean {
    return this.#blobs.has(blobId)
  }

  banned(poolId: Hex32, contributor: Address): boolean {
    return this.#pools.get(poolId)?.banned.has(lower(contributor)) ?? false
  }

  #state(poolId: Hex32): PoolState {
    let pool = this.#pools.get(poolId)
    if (!pool) {
      pool = {
        entries: [],
        snapshots: [],
        counts: new Map(),
        windows: new Map(),
        sequences: new Set(),
        banned: new Set(),
      }
      this.#pools.set(poolId, pool)
    }
    return pool
  }
}
