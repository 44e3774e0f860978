import type { Logger } from 'pino'
import {
  type Address,
  blobIdOf,
  type Hex32,
  type PoolSnapshotRecord,
  poolPayouts,
  poolSnapshotSchema,
} from '../../protocol/index.ts'
import { ContributionError, type HeContext, PoolAggregate, type VaultManifest } from '../../sandbox/index.ts'
import type { NodeStore } from '../storage/index.ts'
import { poolTerms } from './contribution-checks.ts'
import { PoolError } from './errors.ts'
import type { PoolLog, PoolSnapshot } from './pool-log.ts'

/** A snapshot as a node persists and serves it (protocol/api/pools.ts). */
const snapshotRecordSchema = poolSnapshotSchema
export type SnapshotRecord = PoolSnapshotRecord

const recordKey = (poolId: Hex32, height: number) =>
  `pool/${poolId}/snapshot/${String(height).padStart(12, '0')}`

export interface PoolAggregatesDeps {
  readonly store: Pick<NodeStore, 'getMeta' | 'putMeta' | 'blobs'>
  /** a contribution's bytes, from the store or fetched from peers (a node that caught up never saw them) */
  readonly blob: (id: Hex32) => Promise<Uint8Array>
  readonly log: PoolLog
  readonly manifest: (poolId: Hex32) => Promise<VaultManifest>
  readonly context: (manifest: VaultManifest) => Promise<HeContext>
  readonly logger: Logger
}

/**
 * The running aggregate of each pool, kept at every height its pool changed: the previous
 * snapshot's aggregate plus the contributions the height's block admitted, in log order, persisted
 * as a blob with a record of its counts. A job names one of these heights, so every validator
 * reads the same ciphertext. One pool at a time, in height order (the committer's order).
 */
export class PoolAggregates {
  readonly #deps: PoolAggregatesDeps
  #queue: Promise<unknown> = Promise.resolve()

  constructor(deps: PoolAggregatesDeps) {
    this.#deps = deps
  }

  /** Materializes the snapshots a committed block made; never throws (a snapshot is rebuilt when asked). */
  follow(poolIds: readonly Hex32[], height: number): Promise<void> {
    const run = this.#queue.then(async () => {
      for (const poolId of poolIds) {
        try {
          await this.#materialize(poolId, height)
        } catch (err) {
          this.#deps.logger.warn({ err, poolId, height }, 'pool snapshot not materialized')
        }
      }
    })
    this.#queue = run
    return run
  }

  /** The record of the pool's snapshot at or below `height`, materialized if need be. */
  async snapshot(poolId: Hex32, height: number): Promise<SnapshotRecord | undefined> {
    const s = this.#deps.log.snapshot(poolId, height)
    if (!s) return undefined
    const run = this.#queue.then(() => this.#materialize(poolId, s.height))
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** The aggregate ciphertext bytes of a snapshot record. */
  async aggregateBytes(record: SnapshotRecord): Promise<Uint8Array> {
    const bytes = await this.#deps.store.blobs.get(record.aggregate as Hex32)
    if (!bytes) throw new PoolError('BYTES_UNAVAILABLE', `aggregate ${record.aggregate} is not in the store`)
    return bytes
  }

  async #materialize(poolId: Hex32, height: number): Promise<SnapshotRecord> {
    const { log, store } = this.#deps
    const stored = await store.getMeta(recordKey(poolId, height), snapshotRecordSchema)
    if (stored) return stored
    const snapshots = log.snapshots(poolId)
    const index = snapshots.findIndex((s) => s.height === height)
    if (index < 0) throw new PoolError('SNAPSHOT_EMPTY', `pool ${poolId} did not change at height ${height}`)
    // Roll forward from the latest snapshot below that is persisted (or from nothing).
    let base = index
    let previous: SnapshotRecord | undefined
    while (base > 0) {
      previous = await store.getMeta(recordKey(poolId, snapshots[base - 1]!.height), snapshotRecordSchema)
      if (previous) break
      base--
    }
    const manifest = await this.#deps.manifest(poolId)
    const terms = poolTerms(manifest)
    if (terms instanceof ContributionError) throw terms
    const ctx = await this.#deps.context(manifest)
    const aggregate = previous
      ? PoolAggregate.resume(
          ctx,
          terms.layout,
          terms.keyId,
          await this.aggregateBytes(previous),
          previous.count,
        )
      : new PoolAggregate(ctx, terms.layout, terms.keyId)
    try {
      let record: SnapshotRecord | undefined
      for (let i = base; i <= index; i++) {
        const s = snapshots[i]!
        for (const entry of log.entries(poolId, s.from, s.count)) {
          aggregate.add(await this.#deps.blob(entry.claim.contribution.blobId))
        }
        record = await this.#persist(poolId, s, aggregate.toBytes())
      }
      return record!
    } finally {
      aggregate.delete()
    }
  }

  async #persist(poolId: Hex32, s: PoolSnapshot, bytes: Uint8Array): Promise<SnapshotRecord> {
    const id = blobIdOf(bytes)
    await this.#deps.store.blobs.put(id, bytes)
    const record: SnapshotRecord = {
      poolId,
      height: s.height,
      count: s.count,
      aggregate: id,
      contributors: s.counts.size,
      payoutsRoot: poolPayouts(s.counts as ReadonlyMap<Address, number>).root,
    }
    await this.#deps.store.putMeta(recordKey(poolId, s.height), record)
    return record
  }
}
