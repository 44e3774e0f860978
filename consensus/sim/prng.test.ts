import { describe, expect, it } from 'vitest'
import { Prng } from './prng.ts'

describe('Prng', () => {
  it('replays the same stream for the same seed and diverges for another', () => {
    const draw = (seed: number) => Array.from({ length: 8 }, () => new Prng(seed).nextUint32())
    const a = new Prng(42)
    const b = new Prng(42)
    const c = new Prng(43)
    const xs = Array.from({ length: 100 }, () => a.nextUint32())
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(xs)
    expect(Array.from({ length: 100 }, () => c.nextUint32())).not.toEqual(xs)
    expect(new Set(draw(7)).size).toBe(1)
  })

  it('draws integers inside the bounds, roughly uniformly', () => {
    const rng = new Prng(1)
    const counts = [0, 0, 0, 0, 0, 0]
    for (let i = 0; i < 60_000; i++) counts[rng.int(0, 5)]!++
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500)
  })

  it('shuffles into a permutation and forks independent streams', () => {
    const rng = new Prng(9)
    expect(rng.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5])
    const fork = rng.fork()
    expect(fork.nextUint32()).not.toBe(rng.nextUint32())
    expect(() => rng.pick([])).toThrow(RangeError)
  })
})
