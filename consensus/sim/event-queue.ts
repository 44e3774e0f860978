/**
 * A binary min-heap of events by (time, insertion order): ties resolve in the
 * order events were scheduled, which keeps runs deterministic.
 */
export class EventQueue<T> {
  readonly #heap: { time: number; seq: number; event: T }[] = []
  #seq = 0

  get size(): number {
    return this.#heap.length
  }

  push(time: number, event: T): void {
    const heap = this.#heap
    heap.push({ time, seq: this.#seq++, event })
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.#less(i, parent)) break
      this.#swap(i, parent)
      i = parent
    }
  }

  pop(): { time: number; event: T } | undefined {
    const heap = this.#heap
    const top = heap[0]
    if (!top) return undefined
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let smallest = i
        if (l < heap.length && this.#less(l, smallest)) smallest = l
        if (r < heap.length && this.#less(r, smallest)) smallest = r
        if (smallest === i) break
        this.#swap(i, smallest)
        i = smallest
      }
    }
    return { time: top.time, event: top.event }
  }

  #less(i: number, j: number): boolean {
    const a = this.#heap[i]!
    const b = this.#heap[j]!
    return a.time < b.time || (a.time === b.time && a.seq < b.seq)
  }

  #swap(i: number, j: number): void {
    const heap = this.#heap
    ;[heap[i], heap[j]] = [heap[j]!, heap[i]!]
  }
}
