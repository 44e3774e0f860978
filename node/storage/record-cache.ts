import { deepFreeze } from '../../protocol/index.ts'

/**
 * The last records a store wrote or read, decoded, by key. A validator reads each job's record
 * back at every stage it passes (gossip, admission, execution, each block's commit), and every read
 * parsed the JSON and checked it against the schema again: ~10% of its main thread in a burst.
 *
 * Write-through: a value is remembered only once its write has landed, as the JSON text that was
 * written parsed back, which is what a read from disk gives (the schema has no transforms). Every
 * value handed out is deeply frozen, so no caller can change what a later caller reads; a writer's
 * own object is never frozen, since only the copy is kept. Bounded: the least recently used go.
 */
export class RecordCache<T> {
  readonly #max: number
  readonly #onFrozen: ((value: T) => void) | undefined
  readonly #entries = new Map<string, T>()
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

  get(key: string): T | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  /** Remembers what was just written under `key`: `text` is the JSON that landed on disk. */
  wrote(key: string, text: string): void {
    this.#writes++
    this.#remember(key, this.#freeze(JSON.parse(text) as T))
  }

  /**
   * A remembered value, or `read`'s (from disk, checked there), remembered unless a write landed
   * while it was read: then the disk may already hold something newer than what `read` saw.
   */
  async through(key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
    const known = this.get(key)
    if (known !== undefined) return known
    const writes = this.#writes
    const value = await read()
    if (value === undefined) return undefined
    const frozen = this.#freeze(value)
    if (writes === this.#writes) this.#remember(key, frozen)
    return frozen
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

  #remember(key: string, value: T): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
  }
}
