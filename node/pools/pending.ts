import {
  type Address,
  type Block,
  contributionIdOf,
  type Hex32,
  type PoolBan,
  type SignedContribution,
} from '../../protocol/index.ts'

/** Claims this node keeps for a block at most; past it new ones are refused (PENDING_FULL), not queued. */
export const MAX_PENDING_CONTRIBUTIONS = 20_000

/**
 * Contribution claims waiting for a block, their bytes checked and stored here, oldest first.
 * Also what the intake counts against a contributor's bound before any HE work: a contributor
 * cannot queue more claims for a window than its bound allows.
 */
export class PendingContributions {
  readonly #claims = new Map<Hex32, SignedContribution>()
  readonly #windows = new Map<string, number>()

  get size(): number {
    return this.#claims.size
  }

  has(claim: SignedContribution): boolean {
    return this.#claims.has(contributionIdOf(claim.contribution))
  }

  /** Claims waiting for one contributor's window in a pool. */
  inWindow(poolId: Hex32, contributor: Address, window: number): number {
    return this.#windows.get(windowKey(poolId, contributor, window)) ?? 0
  }

  add(claim: SignedContribution): boolean {
    const id = contributionIdOf(claim.contribution)
    if (this.#claims.has(id)) return true
    if (this.#claims.size >= MAX_PENDING_CONTRIBUTIONS) return false
    this.#claims.set(id, claim)
    const c = claim.contribution
    const key = windowKey(c.poolId, c.contributor, c.window)
    this.#windows.set(key, (this.#windows.get(key) ?? 0) + 1)
    return true
  }

  list(): SignedContribution[] {
    return [...this.#claims.values()]
  }

  /** Drops what a committed block admitted, and what can never be admitted any more (`stale`). */
  forget(block: Pick<Block, 'contributions'>, stale: (claim: SignedContribution) => boolean): void {
    const admitted = new Set((block.contributions ?? []).map((c) => contributionIdOf(c.contribution)))
    for (const [id, claim] of this.#claims) {
      if (!admitted.has(id) && !stale(claim)) continue
      this.#claims.delete(id)
      const c = claim.contribution
      const key = windowKey(c.poolId, c.contributor, c.window)
      const left = (this.#windows.get(key) ?? 1) - 1
      if (left > 0) this.#windows.set(key, left)
      else this.#windows.delete(key)
    }
  }
}

const windowKey = (poolId: Hex32, contributor: Address, window: number) =>
  `${poolId}/${contributor.toLowerCase()}/${window}`

/** Curators' bans waiting for a block, one per (pool, contributor). */
export class PendingBans {
  readonly #bans = new Map<string, PoolBan>()

  add(ban: PoolBan): boolean {
    if (this.#bans.size >= MAX_PENDING_BANS) return false
    this.#bans.set(`${ban.poolId}/${ban.contributor.toLowerCase()}`, ban)
    return true
  }

  list(): PoolBan[] {
    return [...this.#bans.values()]
  }

  /** Drops the bans in effect (the block's and any the log holds already). */
  forget(banned: (ban: PoolBan) => boolean): void {
    for (const [key, ban] of this.#bans) if (banned(ban)) this.#bans.delete(key)
  }
}

const MAX_PENDING_BANS = 10_000
