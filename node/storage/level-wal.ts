import { type Wal, type WalEntry, walEntryHeight } from '../../consensus/index.ts'
import type { BatchOp, Database, JsonSublevel } from './database.ts'
import { StorageError } from './errors.ts'
import { parseWalKey, walKey } from './keys.ts'
import { walEntrySchema } from './schemas.ts'
import { checkRecord, parseStored } from './stored.ts'
import type { QueuedWrite, WriteQueue } from './write-queue.ts'

/** How the root database's typing sees a batch (string values only). */
type JsonBatch = Extract<BatchOp, { sublevel: JsonSublevel }>[]

interface Logged {
  readonly key: string
  readonly entry: WalEntry
}

/** consensus's Wal plus the promise the driver awaits before it releases effects that follow a persist. */
export interface DurableWal extends Wal {
  /** Resolves once every append and prune made before the call is on disk (fsync). */
  sync(): Promise<void>
}

/**
 * consensus's Wal over LevelDB.
 *
 * The Wal interface is synchronous but a durable write is not, so durability is split in two:
 * `append` (and `prune`) update an in-memory mirror at once and queue the write; `sync()` resolves
 * once everything appended before the call is fsynced. The driver must `await wal.sync()` after a
 * step's `persist` effects and before executing the effects that follow them (broadcasts above all).
 * Appends made while a write is in flight are group-committed in the next batch.
 *
 * A failed write is sticky: sync() rejects and append() throws WAL_WRITE_FAILED from then on,
 * because no later entry can be promised durable after an earlier one was lost.
 */
export class LevelWal implements DurableWal {
  readonly #db: Database['db']
  readonly #sublevel: JsonSublevel
  readonly #writes: WriteQueue
  readonly #byHeight = new Map<number, Logged[]>()
  /** Writes not yet handed to LevelDB, in append order, by key. */
  readonly #pending = new Map<string, BatchOp>()
  #nextSeq: number
  #prunedBelow = 0
  #durable: Promise<void> = Promise.resolve()
  #failure: StorageError | undefined

  private constructor(database: Database, queue: WriteQueue, nextSeq: number) {
    this.#db = database.db
    this.#sublevel = database.wal
    this.#writes = queue
    this.#nextSeq = nextSeq
  }

  /** Reads every stored entry into the mirror. Throws CORRUPT_RECORD for a damaged key or entry. */
  static async load(database: Database, queue: WriteQueue): Promise<LevelWal> {
    const loaded: { height: number; seq: number; logged: Logged }[] = []
    for await (const [key, value] of database.wal.iterator()) {
      const parsed = parseWalKey(key)
      if (parsed === undefined) throw new StorageError('CORRUPT_RECORD', `wal: malformed key ${key}`)
      const entry = parseStored(walEntrySchema, value, `wal ${key}`)
      if (walEntryHeight(entry) !== parsed.height) {
        throw new StorageError('CORRUPT_RECORD', `wal ${key}: entry is for height ${walEntryHeight(entry)}`)
      }
      loaded.push({ ...parsed, logged: { key, entry } })
    }
    const wal = new LevelWal(database, queue, Math.max(0, ...loaded.map((l) => l.seq + 1)))
    for (const { height, logged } of loaded) wal.#listOf(height).push(logged)
    return wal
  }

  append(entry: WalEntry): void {
    if (this.#failure !== undefined) throw this.#failure
    const checked = checkRecord(walEntrySchema, entry, 'WAL entry')
    const height = walEntryHeight(checked)
    if (height < this.#prunedBelow) {
      throw new StorageError('WAL_HEIGHT_PRUNED', `height ${height} is below the pruned ${this.#prunedBelow}`)
    }
    const key = walKey(height, this.#nextSeq++)
    this.#listOf(height).push({ key, entry: checked })
    this.#enqueue({ type: 'put', sublevel: this.#sublevel, key, value: JSON.stringify(checked) })
  }

  entries(height: number): readonly WalEntry[] {
    return (this.#byHeight.get(height) ?? []).map((l) => l.entry)
  }

  /** Queues the deletion of every entry below a height; durable at the next sync(). */
  prune(belowHeight: number): void {
    for (const op of this.#pruneOps(belowHeight)) this.#enqueue(op)
  }

  sync(): Promise<void> {
    return this.#durable
  }

  /**
   * Writes `ops` and everything queued for the WAL as one synced batch, optionally pruning below a
   * height in the same batch. The caller must be running inside the store's WriteQueue.
   */
  async writeBatch(ops: readonly BatchOp[], pruneBelow?: number): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    const prune = pruneBelow === undefined ? [] : this.#pruneOps(pruneBelow)
    const batch = [...ops, ...this.#pending.values(), ...prune]
    this.#pending.clear()
    if (batch.length === 0) return
    try {
      // Ops carry their sublevel, which encodes their value; the root's typing knows only its own strings.
      await this.#db.batch([...batch] as JsonBatch, { sync: true })
    } catch (error) {
      this.#failure = new StorageError('WAL_WRITE_FAILED', `synced batch failed: ${String(error)}`, {
        cause: error,
      })
      throw this.#failure
    }
  }

  /**
   * Forgets the entries below a height and returns the deletions still to be written. Entries not
   * yet written are simply dropped from the pending batch: deleting them later would race their put.
   */
  #pruneOps(belowHeight: number): BatchOp[] {
    if (belowHeight <= this.#prunedBelow) return []
    this.#prunedBelow = belowHeight
    const deletions: BatchOp[] = []
    for (const [height, logged] of this.#byHeight) {
      if (height >= belowHeight) continue
      for (const { key } of logged) {
        if (!this.#pending.delete(key)) deletions.push({ type: 'del', sublevel: this.#sublevel, key })
      }
      this.#byHeight.delete(height)
    }
    return deletions
  }

  /**
   * Writes a group of the store's queued writes and everything queued for the WAL as one synced
   * batch, then tells each write it landed, in order. The caller must be running inside the store's
   * WriteQueue (it is the queue's GroupWriter).
   */
  readonly writeGroup = async (writes: readonly QueuedWrite[]): Promise<void> => {
    await this.writeBatch(writes.flatMap((w) => w.ops))
    for (const w of writes) w.landed?.()
  }

  #enqueue(op: BatchOp): void {
    this.#pending.set(op.key, op)
    // The first pending op schedules a flush; later ones ride in the same batch (group commit),
    // as do the store's writes queued next to it.
    if (this.#pending.size === 1) {
      this.#durable = this.#writes.write({ ops: [] }, this.writeGroup)
      // sync() reports the failure to whoever waits; without a waiter it must not be an unhandled rejection.
      this.#durable.catch(() => undefined)
    }
  }

  #listOf(height: number): Logged[] {
    let list = this.#byHeight.get(height)
    if (list === undefined) {
      list = []
      this.#byHeight.set(height, list)
    }
    return list
  }
}
