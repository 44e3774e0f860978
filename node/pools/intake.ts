import {
  blobIdOf,
  type ContributionUpload,
  type Eip712Domain,
  fromHex,
  type Hex,
  type Hex32,
  type PoolBan,
  type SignedContribution,
  verifyContribution,
} from '../../protocol/index.ts'
import type { VaultManifest } from '../../sandbox/index.ts'
import type { Ledger } from '../jobs/ledger.ts'
import type { Verdict } from '../jobs/rules.ts'
import type { GossipVerdict } from '../ports.ts'
import type { ContributionChecks } from './contribution-checks.ts'
import type { PendingContributions } from './pending.ts'
import { BlockPools, checkContribution, checkPoolBan, windowAt } from './rules.ts'

export interface IntakeDeps {
  readonly domain: Eip712Domain
  readonly ledger: Pick<Ledger, 'height' | 'pools'>
  /** loads a pool's manifest (store or peers) so the rules find it in memory */
  readonly manifest: (poolId: Hex32) => Promise<VaultManifest>
  /** a manifest already loaded */
  readonly cached: (poolId: Hex32) => VaultManifest | undefined
  readonly checks: ContributionChecks
  readonly pending: PendingContributions
  readonly putBlob: (id: Hex32, bytes: Uint8Array) => Promise<void>
}

/** A refusal, and whether the sender is answerable for it (gossip REJECTs those, IGNOREs the rest). */
export type IntakeVerdict =
  | { readonly ok: true }
  | (Verdict & { readonly ok: false; readonly senderFault: boolean })

/** Refusals no honest sender causes: forged, mismatched or malformed bytes. */
const SENDER_FAULTS = new Set([
  'BAD_SIGNATURE',
  'BLOB_MISMATCH',
  'SIZE_INVALID',
  'MALFORMED',
  'WRONG_LAYOUT',
  'WRONG_KEY',
  'WRONG_PARAMS',
])

/** Gossip's answer to an intake verdict: a sender's fault costs its peer score, a difference of view does not. */
export const gossipVerdictOf = (verdict: IntakeVerdict): GossipVerdict =>
  verdict.ok ? 'accept' : verdict.senderFault ? 'reject' : 'ignore'

const UNKNOWN_TTL_MS = 60_000
const MAX_UNKNOWN = 10_000

const refuse = (code: string, message: string): IntakeVerdict => ({
  ok: false,
  code,
  message,
  senderFault: SENDER_FAULTS.has(code),
})

/**
 * A contribution arriving at this node (its API or gossip): judged by the block rules at the next
 * height, the cheap checks first (hash, signature, pool, window, ban, replay, the bound counting
 * the log and the claims already waiting here), and only then the HE check of the bytes, so a
 * flood of claims costs signature checks, not SEAL loads. Stored and queued only when all pass.
 */
export class ContributionIntake {
  readonly #deps: IntakeDeps
  /**
   * Pool ids found unknown, with when: a flood of claims naming made-up pools (fresh keys sign for
   * free) costs one registry read and peer fetch per id per UNKNOWN_TTL_MS, not one per claim.
   */
  readonly #unknown = new Map<Hex32, number>()

  constructor(deps: IntakeDeps) {
    this.#deps = deps
  }

  async judge(upload: ContributionUpload): Promise<IntakeVerdict> {
    const deps = this.#deps
    const { claim } = upload
    const c = claim.contribution
    const bytes = fromHex(upload.bytes as Hex)
    if (blobIdOf(bytes) !== c.blobId)
      return refuse('BLOB_MISMATCH', `the bytes hash to ${blobIdOf(bytes)}, not the claim's ${c.blobId}`)
    if (!verifyContribution(deps.domain, claim))
      return refuse('BAD_SIGNATURE', `the claim is not signed by its contributor ${c.contributor}`)
    const manifest = await this.#pool(c.poolId)
    if (typeof manifest === 'string') return refuse('POOL_UNKNOWN', `pool ${c.poolId}: ${manifest}`)
    const height = deps.ledger.height + 1
    const ctx = {
      height,
      domain: deps.domain,
      log: deps.ledger.pools,
      manifest: (id: Hex32) => (id === c.poolId ? manifest : undefined),
      // Every other rule first; the bytes are checked below only if they pass.
      bytes: () => ({ ok: true }) as const,
    }
    const cheap = checkContribution(ctx, new BlockPools(), claim)
    if (!cheap.ok) return refuse(cheap.code, cheap.message)
    const bound = manifest.pool!.bound
    const waiting = deps.pending.inWindow(c.poolId, c.contributor, windowAt(height, bound.windowBlocks))
    const logged = deps.ledger.pools.inWindow(c.poolId, c.contributor, c.window)
    if (!deps.pending.has(claim) && waiting + logged >= bound.perWindow) {
      return refuse(
        'OVER_BOUND',
        `${c.contributor} has ${logged} contributions admitted and ${waiting} waiting in window ${c.window}; the bound is ${bound.perWindow}`,
      )
    }
    const verdict = await deps.checks.check(manifest, c.blobId, bytes)
    if (!verdict.ok) return refuse(verdict.code, verdict.message)
    return { ok: true }
  }

  /** A pool's manifest, or why it is not known (remembered for a while). */
  async #pool(poolId: Hex32): Promise<VaultManifest | string> {
    const seen = this.#unknown.get(poolId)
    if (seen !== undefined && Date.now() - seen < UNKNOWN_TTL_MS) return 'not known here (recently looked up)'
    try {
      const manifest = await this.#deps.manifest(poolId)
      this.#unknown.delete(poolId)
      return manifest
    } catch (e) {
      if (this.#unknown.size >= MAX_UNKNOWN) this.#unknown.delete(this.#unknown.keys().next().value!)
      this.#unknown.set(poolId, Date.now())
      return e instanceof Error ? e.message : String(e)
    }
  }

  /** A curator's ban as the block rules would judge it, and not already in effect. */
  async judgeBan(ban: PoolBan): Promise<IntakeVerdict> {
    const found = await this.#pool(ban.poolId)
    const manifest = typeof found === 'string' ? undefined : found
    const verdict = checkPoolBan(
      { ...this.#ruleContext(), manifest: (id) => (id === ban.poolId ? manifest : undefined) },
      ban,
    )
    if (!verdict.ok) return refuse(verdict.code, verdict.message)
    if (this.#deps.ledger.pools.banned(ban.poolId, ban.contributor))
      return {
        ok: false,
        code: 'BANNED',
        message: `${ban.contributor} is banned already`,
        senderFault: false,
      }
    return { ok: true }
  }

  #ruleContext() {
    return {
      height: this.#deps.ledger.height + 1,
      domain: this.#deps.domain,
      log: this.#deps.ledger.pools,
      bytes: () => undefined,
    }
  }

  /** Keeps an accepted contribution: its bytes in the store, its claim waiting for a block. */
  async keep(upload: ContributionUpload): Promise<boolean> {
    const { claim } = upload
    await this.#deps.putBlob(claim.contribution.blobId, fromHex(upload.bytes as Hex))
    return this.#deps.pending.add(claim)
  }

  /**
   * Whether a waiting claim can no longer be admitted at `height`: in the log already, its window
   * passed, its contributor banned, or the log holding its contributor's bound for the window (the
   * other of two claims sent to two nodes at once, once one is admitted).
   */
  stale(claim: SignedContribution, height: number): boolean {
    const c = claim.contribution
    const log = this.#deps.ledger.pools
    if (log.hasSequence(c.poolId, c.contributor, c.sequence) || log.hasBlob(c.blobId)) return true
    if (log.banned(c.poolId, c.contributor)) return true
    const bound = this.#deps.cached(c.poolId)?.pool?.bound
    if (!bound) return false
    return (
      c.window < windowAt(height, bound.windowBlocks) ||
      log.inWindow(c.poolId, c.contributor, c.window) >= bound.perWindow
    )
  }
}
