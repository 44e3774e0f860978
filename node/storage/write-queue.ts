/**
 * Runs write jobs one at a time, in the order they were enqueued. Every synced batch of the store
 * goes through one queue, so a batch that deletes WAL keys can never overtake the batch that wrote
 * them (classic-level runs batches on a thread pool and does not promise their order).
 */
export class WriteQueue {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job)
    // A failed job reports to its own caller; it must not stop the jobs queued behind it.
    this.#tail = result.catch(() => undefined)
    return result
  }
}
