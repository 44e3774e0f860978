import {
  type Address,
  type ContributionUpload,
  contributionIdOf,
  type Hex32,
  type PoolBan,
  type PoolInfo,
  type PoolSnapshotView,
} from '../../protocol/index.ts'
import { ContributionError, type VaultManifest } from '../../sandbox/index.ts'
import { MalformedRequest, NodeBusy, Refused, Unauthenticated } from '../errors.ts'
import type { Ledger } from '../jobs/ledger.ts'
import type { PoolAggregates } from './aggregates.ts'
import { poolTerms } from './contribution-checks.ts'
import type { ContributionIntake } from './intake.ts'
import type { PendingBans, PendingContributions } from './pending.ts'

export interface PoolApiDeps {
  readonly ledger: Pick<Ledger, 'height' | 'pools'>
  readonly manifest: (poolId: Hex32) => Promise<VaultManifest | undefined>
  readonly intake: Pick<ContributionIntake, 'judge' | 'keep' | 'judgeBan'>
  readonly pending: Pick<PendingContributions, 'size'>
  readonly bans: Pick<PendingBans, 'add'>
  readonly aggregates: Pick<PoolAggregates, 'snapshot'>
  readonly publish: (upload: ContributionUpload) => Promise<void>
  readonly publishBan: (ban: PoolBan) => Promise<void>
}

/** The pools' part of the node API: take a contribution, describe a pool and its snapshots. */
export class PoolApi {
  readonly #deps: PoolApiDeps

  constructor(deps: PoolApiDeps) {
    this.#deps = deps
  }

  /** A contribution to `poolId`: refused with the rule's code, or kept, gossiped and queued for a block. */
  async submit(poolId: Hex32, upload: ContributionUpload): Promise<{ contributionId: Hex32; blobId: Hex32 }> {
    const c = upload.claim.contribution
    if (c.poolId !== poolId)
      throw new MalformedRequest('POOL_MISMATCH', `the claim is for pool ${c.poolId}, posted to ${poolId}`)
    const verdict = await this.#deps.intake.judge(upload)
    if (!verdict.ok) {
      if (verdict.code === 'BAD_SIGNATURE') throw new Unauthenticated(verdict.code, verdict.message)
      throw new Refused(verdict.code, verdict.message)
    }
    if (!(await this.#deps.intake.keep(upload)))
      throw new NodeBusy(
        'PENDING_FULL',
        'this node holds as many waiting contributions as it keeps; retry later',
      )
    await this.#deps.publish(upload)
    return { contributionId: contributionIdOf(c), blobId: c.blobId }
  }

  /** A curator's ban of a contributor key in `poolId`: refused with the rule's code, or gossiped and queued for a block. */
  async ban(poolId: Hex32, ban: PoolBan): Promise<{ poolId: Hex32; contributor: Address }> {
    if (ban.poolId !== poolId)
      throw new MalformedRequest('POOL_MISMATCH', `the ban is for pool ${ban.poolId}, posted to ${poolId}`)
    const verdict = await this.#deps.intake.judgeBan(ban)
    if (!verdict.ok) {
      if (verdict.code === 'BAD_SIGNATURE') throw new Unauthenticated(verdict.code, verdict.message)
      throw new Refused(verdict.code, verdict.message)
    }
    if (!this.#deps.bans.add(ban))
      throw new NodeBusy('PENDING_FULL', 'this node holds as many waiting bans as it keeps')
    await this.#deps.publishBan(ban)
    return { poolId, contributor: ban.contributor }
  }

  async pool(poolId: Hex32): Promise<PoolInfo | undefined> {
    const manifest = await this.#deps.manifest(poolId)
    const terms = manifest && poolTerms(manifest)
    if (!terms || terms instanceof ContributionError) return undefined
    const log = this.#deps.ledger.pools
    const head = log.snapshots(poolId).at(-1)
    return {
      poolId,
      curator: terms.pool.curator as Address,
      size: log.size(poolId),
      contributors: head?.counts.size ?? 0,
      head: head?.height ?? null,
      height: this.#deps.ledger.height,
      bound: terms.pool.bound,
      minContributors: terms.pool.minContributors,
      maxRecords: terms.pool.maxRecords,
      capacity: terms.capacity,
      pending: this.#deps.pending.size,
    }
  }

  async snapshot(poolId: Hex32, height: number): Promise<PoolSnapshotView | undefined> {
    const s = this.#deps.ledger.pools.snapshot(poolId, height)
    if (!s) return undefined
    const record = await this.#deps.aggregates.snapshot(poolId, height)
    if (!record) return undefined
    const counts = [...s.counts]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([contributor, contributions]) => ({ contributor, contributions }))
    return { ...record, counts }
  }
}
