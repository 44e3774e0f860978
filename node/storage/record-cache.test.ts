import { describe, expect, it } from 'vitest'
import { RecordCache } from './record-cache.ts'

interface Rec {
  readonly n: number
  readonly inner: { readonly list: number[] }
}

const text = (n: number) => JSON.stringify({ n, inner: { list: [n] } })

describe('RecordCache', () => {
  it('serves a written value deeply frozen, the same object each time', async () => {
    const cache = new RecordCache<Rec>(4)
    cache.wrote('a', text(1))
    const first = await cache.through('a', async () => {
      throw new Error('a hit must not read')
    })
    expect(first).toEqual({ n: 1, inner: { list: [1] } })
    expect(cache.get('a')).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(Object.isFrozen(first?.inner.list)).toBe(true)
    // A caller that tries to change what others read is stopped, and the value stays.
    expect(() => {
      ;(first as { n: number }).n = 2
    }).toThrow(TypeError)
    expect(() => first?.inner.list.push(9)).toThrow(TypeError)
    expect(cache.get('a')).toEqual({ n: 1, inner: { list: [1] } })
  })

  it('reads a miss once and remembers it; an absent key is not remembered', async () => {
    const cache = new RecordCache<Rec>(4)
    let reads = 0
    const read = async () => {
      reads++
      return { value: { n: 5, inner: { list: [5] } }, text: text(5) }
    }
    expect(await cache.through('b', read)).toEqual({ n: 5, inner: { list: [5] } })
    expect(await cache.through('b', read)).toEqual({ n: 5, inner: { list: [5] } })
    expect(reads).toBe(1)
    expect(await cache.through('none', async () => undefined)).toBeUndefined()
    expect(cache.size).toBe(1)
  })

  it('never puts back a value a write replaced while it was being read', async () => {
    const cache = new RecordCache<Rec>(4)
    let finish: (value: Rec) => void = () => undefined
    // A read of the old value from disk, slower than the write that follows it.
    const reading = cache.through(
      'k',
      () =>
        new Promise<{ value: Rec; text: string }>(
          (resolve) => (finish = (value) => resolve({ value, text: text(value.n) })),
        ),
    )
    cache.wrote('k', text(2))
    finish({ n: 1, inner: { list: [1] } })
    expect((await reading)?.n).toBe(1)
    expect(cache.get('k')?.n).toBe(2)
  })

  it('knows a value only for the exact text it was decoded from', () => {
    const cache = new RecordCache<Rec>(4)
    cache.wrote('a', text(1))
    expect(cache.known('a', text(1))).toBe(cache.get('a'))
    expect(cache.known('a', text(2))).toBeUndefined()
    expect(cache.known('b', text(1))).toBeUndefined()
  })

  it('remembers a value a scan read only if no write landed since the scan began', () => {
    const cache = new RecordCache<Rec>(4)
    const before = cache.writes
    cache.wrote('k', text(2))
    // A scan that began before the write read the old value: handed out, not remembered.
    expect(cache.read('k', { value: { n: 1, inner: { list: [1] } }, text: text(1) }, before).n).toBe(1)
    expect(cache.get('k')?.n).toBe(2)
    const now = cache.writes
    const read = cache.read('j', { value: { n: 3, inner: { list: [3] } }, text: text(3) }, now)
    expect(Object.isFrozen(read)).toBe(true)
    expect(cache.known('j', text(3))).toBe(read)
  })

  it('keeps at most its bound, dropping the least recently used', async () => {
    const cache = new RecordCache<Rec>(3)
    for (const n of [1, 2, 3]) cache.wrote(`k${n}`, text(n))
    cache.get('k1')
    cache.wrote('k4', text(4))
    expect(cache.size).toBe(3)
    expect(cache.get('k2')).toBeUndefined()
    expect(cache.get('k1')?.n).toBe(1)
    for (let n = 5; n < 100; n++) cache.wrote(`k${n}`, text(n))
    expect(cache.size).toBe(3)
    cache.clear()
    expect(cache.size).toBe(0)
  })
})
