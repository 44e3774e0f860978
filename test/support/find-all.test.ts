import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findAll } from './find-all.ts'

/** What findAll must equal: `includes` for every pair. */
const naive = (haystacks: readonly Uint8Array[], needles: readonly Uint8Array[]) =>
  haystacks.flatMap((hay, h) =>
    needles.flatMap((needle, n) => (Buffer.from(hay).includes(Buffer.from(needle)) ? [[h, n] as const] : [])),
  )

describe('findAll', () => {
  it('finds exactly the pairs `includes` finds, on random bytes of a small alphabet (many near misses)', () => {
    // Lengths drawn evenly (fast-check would favour tiny arrays), of three byte values.
    const bytes = (min: number, max: number) =>
      fc
        .noBias(fc.integer({ min, max }))
        .chain((length) => fc.uint8Array({ minLength: length, maxLength: length, min: 48, max: 50 }))
    fc.assert(
      fc.property(
        fc.array(bytes(0, 400), { minLength: 1, maxLength: 4 }),
        // Needles cut from the haystacks anywhere (hits, edges included), and random ones.
        fc.array(fc.noBias(fc.tuple(fc.nat(3), fc.nat(400), fc.integer({ min: 1, max: 60 }))), {
          maxLength: 10,
        }),
        fc.array(bytes(1, 40), { maxLength: 4 }),
        (haystacks, cuts, random) => {
          const needles = [
            ...cuts.flatMap(([h, at, length]) => {
              const hay = haystacks[h % haystacks.length]!
              const from = Math.min(at, hay.length)
              const needle = hay.slice(from, from + length)
              return needle.length > 0 ? [needle] : []
            }),
            ...random,
          ]
          expect(findAll(haystacks, needles)).toEqual(naive(haystacks, needles))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('finds needles at the start, middle and end of a large haystack, and no absent one', () => {
    const hay = randomBytes(1 << 20)
    const first = hay.subarray(0, 30)
    const middle = hay.subarray(123_457, 123_457 + 40)
    const last = hay.subarray(hay.length - 17)
    const absent = Buffer.from('54,F,130,72,27.5,0,0.31,no,50-59')
    expect(findAll([absent, hay], [first, absent, middle, last])).toEqual([
      [0, 1],
      [1, 0],
      [1, 2],
      [1, 3],
    ])
  })
})
