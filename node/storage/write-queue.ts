import type { BatchOp } from './database.ts'

/** Ops to write in one synced batch, and what to do once they are on disk. */
export interface QueuedWrite {
  readonly ops: readonly BatchOp[]
  /** Runs once the ops are on disk, inside the queue, before any later job. */
  readonly landed?: () => void
}

/** Writes a group of queued writes as one synced batch, then runs their `landed` in order. */
export type GroupWriter = (writes: readonly QueuedWrite[]) => Promise<void>

interface Group {
  readonly writes: QueuedWrite[]
  done?: Promise<void>
}

/**
 * Runs write jobs one at a time, in the order they were enqueued. Every synced batch of the store
 * goes through one queue, so a batch that deletes WAL keys can never overtake the batch that wrote
 * them (classic-level runs batches on a thread pool and does not promise their order).
 *
 * Group commit: writes queued one after another with no other job between them share one synced
 * batch. Each fsync (~5 a job on every validator in a burst) waited for the one before it, and a
 * batch costs LevelDB a log write and a sync whatever it holds. Order is kept exactly: a group
 * takes only writes queued before it started and after the job queued before it, and within the
 * batch a later op on a key overrides an earlier one, as separate batches would.
 */
export class WriteQueue {
  #tail: Promise<unknown> = Promise.resolve()
  /** The group at the end of the queue, still taking writes. */
  #open: Group | undefined

  run<T>(job: () => Promise<T>): Promise<T> {
    // Writes queued after this job must land after it.
    this.#open = undefined
    return this.#enqueue(job)
  }

  /**
   * Queues `write` to land with the writes queued next to it. `writeGroup` writes the group; every
   * caller must pass one that does the same, since the first caller's is the one that runs.
   * Resolves once the group is on disk; a failed batch fails every write in it.
   */
  write(write: QueuedWrite, writeGroup: GroupWriter): Promise<void> {
    let group = this.#open
    if (group === undefined) {
      const opened: Group = { writes: [] }
      opened.done = this.#enqueue(() => {
        // Started: later writes open a group of their own behind this one.
        if (this.#open === opened) this.#open = undefined
        return writeGroup(opened.writes)
      })
      this.#open = opened
      group = opened
    }
    group.writes.push(write)
    return group.done as Promise<void>
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job)
    // A failed job reports to its own caller; it must not stop the jobs queued behind it.
    this.#tail = result.catch(() => undefined)
    return result
  }
}
