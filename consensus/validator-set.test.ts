import { describe, expect, it } from 'vitest'
import type { Address } from '../protocol/index.ts'
import { ConsensusError } from './errors.ts'
import { ValidatorSet } from './validator-set.ts'

const address = (i: number): Address => `0x${i.toString(16).padStart(40, '0')}`

describe('ValidatorSet', () => {
  it('rotates proposers in proportion to power, deterministically', () => {
    const set = new ValidatorSet([
      { address: address(1), power: 1 },
      { address: address(2), power: 2 },
      { address: address(3), power: 5 },
    ])
    const counts = new Map<Address, number>()
    for (let h = 0; h < 800; h++) {
      const p = set.proposer(h, 0)
      counts.set(p, (counts.get(p) ?? 0) + 1)
    }
    expect([counts.get(address(1)), counts.get(address(2)), counts.get(address(3))]).toEqual([100, 200, 500])
    const again = new ValidatorSet([...set.validators].reverse())
    expect(Array.from({ length: 20 }, (_, i) => again.proposer(7, i))).toEqual(
      Array.from({ length: 20 }, (_, i) => set.proposer(7, i)),
    )
  })

  it('hands a failed round to the next proposer in line', () => {
    const set = new ValidatorSet([1, 2, 3, 4].map((i) => ({ address: address(i), power: 1 })))
    const round0 = [0, 1, 2, 3].map((h) => set.proposer(h, 0))
    expect(new Set(round0).size).toBe(4)
    expect(set.proposer(5, 1)).toBe(set.proposer(6, 0))
  })

  it('counts quorums by power: more than 2/3 and more than 1/3', () => {
    const set = new ValidatorSet([1, 2, 3, 4].map((i) => ({ address: address(i), power: 1 })))
    expect([set.isQuorum(2), set.isQuorum(3)]).toEqual([false, true])
    expect([set.isOneThird(1), set.isOneThird(2)]).toEqual([false, true])
    const weighted = new ValidatorSet([
      { address: address(1), power: 10 },
      { address: address(2), power: 1 },
      { address: address(3), power: 1 },
    ])
    expect(weighted.isQuorum(10)).toBe(true)
    expect(weighted.maxFaultyPower).toBe(3)
  })

  it('rejects malformed sets with a stable code', () => {
    const bad = [
      [],
      [{ address: '0xABC' as Address, power: 1 }],
      [{ address: address(1), power: 0 }],
      [
        { address: address(1), power: 1 },
        { address: address(1), power: 2 },
      ],
    ]
    for (const validators of bad) {
      expect(() => new ValidatorSet(validators)).toThrow(
        expect.objectContaining({ name: 'ConsensusError', code: 'invalid-validator-set' }),
      )
    }
    expect(() => new ValidatorSet([])).toThrow(ConsensusError)
  })
})
