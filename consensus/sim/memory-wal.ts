import { type Wal, type WalEntry, walEntryHeight } from '../wal.ts'

/**
 * An in-memory WAL that tells written from synced, so a crash can lose the
 * write in flight. `append` is write-then-sync, as the Wal contract demands;
 * the simulator models a crash during a persist by calling `write` alone and
 * then `crash`.
 */
export class MemoryWal implements Wal {
  #durable: WalEntry[] = []
  #unsynced: WalEntry[] = []

  append(entry: WalEntry): void {
    this.write(entry)
    this.sync()
  }

  write(entry: WalEntry): void {
    this.#unsynced.push(entry)
  }

  sync(): void {
    this.#durable.push(...this.#unsynced)
    this.#unsynced = []
  }

  /** Power loss: whatever was not synced is gone. */
  crash(): void {
    this.#unsynced = []
  }

  entries(height: number): readonly WalEntry[] {
    return this.#durable.filter((e) => walEntryHeight(e) === height)
  }

  prune(belowHeight: number): void {
    this.#durable = this.#durable.filter((e) => walEntryHeight(e) >= belowHeight)
  }
}
