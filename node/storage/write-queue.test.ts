import { describe, expect, it } from 'vitest'
import type { BatchOp } from './database.ts'
import { type QueuedWrite, WriteQueue } from './write-queue.ts'

/** A put op with a name, for telling batches apart; the sublevel is never touched here. */
const op = (key: string) => ({ type: 'put', key, value: key }) as unknown as BatchOp

describe('WriteQueue', () => {
  it('writes writes queued together as one group, and tells each it landed, in order', async () => {
    const queue = new WriteQueue()
    const batches: string[][] = []
    const events: string[] = []
    const writeGroup = async (writes: readonly QueuedWrite[]) => {
      batches.push(writes.flatMap((w) => w.ops.map((o) => o.key)))
      for (const w of writes) w.landed?.()
    }
    const write = (key: string) =>
      queue
        .write({ ops: [op(key)], landed: () => events.push(`landed ${key}`) }, writeGroup)
        .then(() => events.push(`resolved ${key}`))
    await Promise.all([write('a'), write('b'), write('c')])
    expect(batches).toEqual([['a', 'b', 'c']])
    expect(events.slice(0, 3)).toEqual(['landed a', 'landed b', 'landed c'])
  })

  it('never lets a write overtake a job queued before it, nor a job a write queued before it', async () => {
    const queue = new WriteQueue()
    const order: string[] = []
    const writeGroup = async (writes: readonly QueuedWrite[]) => {
      order.push(writes.flatMap((w) => w.ops.map((o) => o.key)).join('+'))
    }
    await Promise.all([
      queue.write({ ops: [op('a')] }, writeGroup),
      queue.write({ ops: [op('b')] }, writeGroup),
      queue.run(async () => order.push('job')),
      queue.write({ ops: [op('c')] }, writeGroup),
    ])
    expect(order).toEqual(['a+b', 'job', 'c'])
  })

  it('puts writes queued while a group is being written into the next group', async () => {
    const queue = new WriteQueue()
    const batches: string[] = []
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const writeGroup = async (writes: readonly QueuedWrite[]) => {
      batches.push(writes.flatMap((w) => w.ops.map((o) => o.key)).join('+'))
      if (batches.length === 1) await gate
    }
    const first = queue.write({ ops: [op('a')] }, writeGroup)
    await new Promise((resolve) => setImmediate(resolve))
    // 'a' is being written: these must not join its batch, which may already be on its way to disk.
    const later = [queue.write({ ops: [op('b')] }, writeGroup), queue.write({ ops: [op('c')] }, writeGroup)]
    release()
    await Promise.all([first, ...later])
    expect(batches).toEqual(['a', 'b+c'])
  })

  it('fails every write of a failed group, and goes on with the next', async () => {
    const queue = new WriteQueue()
    let fail = true
    const writeGroup = async () => {
      if (fail) throw new Error('disk full')
    }
    const failed = [queue.write({ ops: [op('a')] }, writeGroup), queue.write({ ops: [op('b')] }, writeGroup)]
    const outcomes = await Promise.allSettled(failed)
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    fail = false
    await expect(queue.write({ ops: [op('c')] }, writeGroup)).resolves.toBeUndefined()
  })
})
