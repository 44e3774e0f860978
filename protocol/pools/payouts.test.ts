import { describe, expect, it } from 'vitest'
import type { Address } from '../hex.ts'
import { verifyMerkleProof } from '../merkle.ts'
import { payoutLeaf, payoutProof, poolPayouts, poolResultHash } from './payouts.ts'

const a = '0x00000000000000000000000000000000000000aa' as Address
const b = '0x00000000000000000000000000000000000000BB' as Address
const c = '0x00000000000000000000000000000000000000cc' as Address

describe('pool payouts', () => {
  it('is one tree whatever the order or case of the addresses, and proves each contributor', () => {
    const one = poolPayouts(
      new Map([
        [a, 2],
        [b, 1],
        [c, 3],
      ]),
    )
    const two = poolPayouts(
      new Map([
        [c, 3],
        [b.toLowerCase() as Address, 1],
        [a, 2],
      ]),
    )
    expect(two.root).toBe(one.root)
    expect(one.total).toBe(6)
    for (const l of one.leaves) {
      expect(verifyMerkleProof(l.leaf, payoutProof(one, l.contributor), one.root)).toBe(true)
    }
    expect(verifyMerkleProof(payoutLeaf(a, 3), payoutProof(one, a), one.root)).toBe(false)
  })

  it('binds the payouts into the result hash', () => {
    const bundle = `0x${'11'.repeat(32)}` as const
    const p = poolPayouts(new Map([[a, 1]]))
    expect(poolResultHash(bundle, p)).not.toBe(poolResultHash(bundle, { ...p, total: 2 }))
    expect(() => poolPayouts(new Map([[a, -1]]))).toThrow(RangeError)
  })
})
