import {
  type Address,
  contributionIdOf,
  type Eip712Domain,
  type Hex32,
  type PoolBan,
  type SignedContribution,
  verifyContribution,
  verifyPoolBan,
} from '../../protocol/index.ts'
import { ContributionError, type VaultManifest } from '../../sandbox/index.ts'
import type { Verdict } from '../jobs/rules.ts'
import { type PoolTerms, poolTerms } from './contribution-checks.ts'
import type { PoolLog } from './pool-log.ts'

/** What the pool rules read: replicated state and content-addressed facts only. */
export interface PoolRuleContext {
  readonly height: number
  readonly domain: Eip712Domain
  readonly log: PoolLog
  readonly manifest: (vaultId: Hex32) => VaultManifest | undefined
  /** the verdict on a claim's bytes (ContributionChecks), undefined if they were not checked here */
  readonly bytes: (poolId: Hex32, blobId: Hex32) => Verdict | undefined
}

/**
 * What the block being built or judged has admitted so far: contributions are counted against the
 * bound, the sequence and blob sets and the pool's capacity together with the log.
 */
export class BlockPools {
  readonly #windows = new Map<string, number>()
  readonly #sequences = new Set<string>()
  readonly #blobs = new Set<Hex32>()
  readonly #sizes = new Map<Hex32, number>()

  window(poolId: Hex32, who: Address, window: number): number {
    return this.#windows.get(`${poolId}/${who}/${window}`) ?? 0
  }
  hasSequence(poolId: Hex32, who: Address, sequence: number): boolean {
    return this.#sequences.has(`${poolId}/${who}/${sequence}`)
  }
  hasBlob(blobId: Hex32): boolean {
    return this.#blobs.has(blobId)
  }
  size(poolId: Hex32): number {
    return this.#sizes.get(poolId) ?? 0
  }
  add({ contribution: c }: SignedContribution): void {
    const who = c.contributor.toLowerCase() as Address
    const w = `${c.poolId}/${who}/${c.window}`
    this.#windows.set(w, (this.#windows.get(w) ?? 0) + 1)
    this.#sequences.add(`${c.poolId}/${who}/${c.sequence}`)
    this.#blobs.add(c.blobId)
    this.#sizes.set(c.poolId, (this.#sizes.get(c.poolId) ?? 0) + 1)
  }
}

const no = (code: string, message: string): Verdict => ({ ok: false, code, message })

/** The window a block at `height` is in for a pool bound of `windowBlocks` heights. */
export const windowAt = (height: number, windowBlocks: number): number => Math.floor(height / windowBlocks)

/** The pool a claim names, if known here and a pool; a refusal otherwise. */
export function poolOf(ctx: Pick<PoolRuleContext, 'manifest'>, poolId: Hex32): PoolTerms | Verdict {
  const manifest = ctx.manifest(poolId)
  if (!manifest) return no('POOL_UNKNOWN', `pool ${poolId} is not known to the network`)
  const t = poolTerms(manifest)
  if (t instanceof ContributionError) return no(t.code, t.message)
  return t
}

/**
 * One contribution claim against the log and what the block admitted before it. Cheap checks
 * first; the bytes' verdict (HE work, done before the rules ran) last. Adds the claim to `block`
 * when it passes.
 */
export function checkContribution(
  ctx: PoolRuleContext,
  block: BlockPools,
  signed: SignedContribution,
): Verdict {
  const c = signed.contribution
  const id = `contribution ${contributionIdOf(c)}`
  if (!verifyContribution(ctx.domain, signed))
    return no('BAD_SIGNATURE', `${id}: not signed by its contributor ${c.contributor}`)
  const pool = poolOf(ctx, c.poolId)
  if ('ok' in pool) return pool
  const who = c.contributor.toLowerCase() as Address
  const window = windowAt(ctx.height, pool.pool.bound.windowBlocks)
  if (c.window !== window)
    return no(
      'WRONG_WINDOW',
      `${id}: signed for window ${c.window}; height ${ctx.height} is in window ${window}`,
    )
  if (ctx.log.banned(c.poolId, who)) return no('BANNED', `${id}: ${who} is banned from pool ${c.poolId}`)
  if (ctx.log.hasSequence(c.poolId, who, c.sequence) || block.hasSequence(c.poolId, who, c.sequence))
    return no('REPLAYED_SEQUENCE', `${id}: ${who} already contributed sequence ${c.sequence} to this pool`)
  if (ctx.log.hasBlob(c.blobId) || block.hasBlob(c.blobId))
    return no('REPLAYED_BLOB', `${id}: the bytes ${c.blobId} were contributed before`)
  const used = ctx.log.inWindow(c.poolId, who, window) + block.window(c.poolId, who, window)
  if (used >= pool.pool.bound.perWindow) {
    return no(
      'OVER_BOUND',
      `${id}: ${who} has ${used} contributions in window ${window}, the pool's bound is ${pool.pool.bound.perWindow}`,
    )
  }
  if (ctx.log.size(c.poolId) + block.size(c.poolId) >= pool.capacity)
    return no(
      'POOL_FULL',
      `${id}: pool ${c.poolId} holds the ${pool.capacity} contributions its aggregate can decrypt`,
    )
  const bytes = ctx.bytes(c.poolId, c.blobId)
  if (!bytes) return no('BYTES_UNAVAILABLE', `${id}: the bytes ${c.blobId} were not checked here`)
  if (!bytes.ok) return no(bytes.code, `${id}: ${bytes.message}`)
  block.add(signed)
  return { ok: true }
}

/** A curator's ban: signed by the pool's curator. */
export function checkPoolBan(ctx: PoolRuleContext, ban: PoolBan): Verdict {
  const pool = poolOf(ctx, ban.poolId)
  if ('ok' in pool) return pool
  if (!verifyPoolBan(ctx.domain, ban, pool.pool.curator as Address))
    return no('BAD_SIGNATURE', `ban of ${ban.contributor} in pool ${ban.poolId}: not signed by its curator`)
  return { ok: true }
}
