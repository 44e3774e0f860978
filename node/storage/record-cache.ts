import { deepFreeze } from '../../protocol/index.ts'

/** A value as read from disk: checked there, with the JSON text it was parsed from. */
export interface ReadRecord<T> {
  readonly value: T
  readonly text: string
}

interface Entry<T> {
  readonly value: T
  /** The JSON the value was parsed from, as it is on disk. */
  readonly text: string
}

/**
 * The last records a store wrote or read, decoded, by key. A validator reads each job's record
 * back at every stage it passes (gossip, admission, execution, each block's commit), and every read
 * parsed the JSON and checked it against the schema again: ~10% of its main thread in a burst.
 *
 * Write-through: a value is remembered only once its write has landed, as the JSON text that was
 * written parsed back, which is what a read from disk gives (the schema has no transforms). Every
 * value handed out is deeply frozen, so no caller can change what a later caller reads; a writer's
 * own object is never frozen, since only the copy is kept. Bounded: the least recently used go.
 *
 * Each entry keeps the text it came from, so a scan of the disk (a job listing) can take the
 * decoded value for any record whose bytes are unchanged instead of parsing and checking it again.
 */
export class RecordCache<T> {
  readonly #max: number
  readonly #onFrozen: ((value: T) => void) | undefined
  readonly #entries = new Map<string, Entry<T>>()
  /** Counts landed writes: a read that raced one must not put back what the write replaced. */
  #writes = 0

  /** `onFrozen` is told of each value once it is deeply frozen, before any caller is handed it. */
  constructor(max: number, onFrozen?: (value: T) => void) {
    this.#max = max
    this.#onFrozen = onFrozen
  }

  get size(): number {
    return this.#entries.size
  }

  /** How many writes have landed: taken before a read, it tells `read` whether the read raced one. */
  get writes(): number {
    return this.#writes
  }

  get(key: string): T | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined) this.#remember(key, entry)
    return entry?.value
  }

  /** The remembered value under `key` if it was decoded from exactly `text`, else undefined. */
  known(key: string, text: string): T | undefined {
    const entry = this.#entries.get(key)
    return entry !== undefined && entry.text === text ? entry.value : undefined
  }

  /** Remembers what was just written under `key`: `text` is the JSON that landed on disk. */
  wrote(key: string, text: string): void {
    this.#writes++
    this.#remember(key, { value: this.#freeze(JSON.parse(text) as T), text })
  }

  /**
   * Remembers a value read from disk (and checked) when no write landed since `writesBefore` (this
   * cache's `writes` taken before the read began); returns it frozen either way.
   */
  read(key: string, record: ReadRecord<T>, writesBefore: number): T {
    const value = this.#freeze(record.value)
    if (writesBefore === this.#writes) this.#remember(key, { value, text: record.text })
    return value
  }

  /**
   * A remembered value, or `read`'s (from disk, checked there), remembered unless a write landed
   * while it was read: then the disk may already hold something newer than what `read` saw.
   */
  async through(key: string, read: () => Promise<ReadRecord<T> | undefined>): Promise<T | undefined> {
    const known = this.get(key)
    if (known !== undefined) return known
    const writes = this.#writes
    const record = await read()
    return record === undefined ? undefined : this.read(key, record, writes)
  }

  clear(): void {
    this.#entries.clear()
    this.#writes++
  }

  #freeze(value: T): T {
    const frozen = deepFreeze(value)
    this.#onFrozen?.(frozen)
    return frozen
  }

  #remember(key: string, entry: Entry<T>): void {
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
  }
}
