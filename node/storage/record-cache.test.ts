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
      return { n: 5, inner: { list: [5] } }
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
    const reading = cache.through('k', () => new Promise<Rec>((resolve) => (finish = resolve)))
    cache.wrote('k', text(2))
    finish({ n: 1, inner: { list: [1] } })
    expect((await reading)?.n).toBe(1)
    expect(cache.get('k')?.n).toBe(2)
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
