import { describe, expect, it } from 'vitest'
import type { Address, SignedVote, ValueId, VoteType } from '../protocol/index.ts'
import { isDuplicateVote } from './evidence.ts'
import { ValidatorSet } from './validator-set.ts'
import { VoteBook } from './vote-book.ts'

const address = (i: number): Address => `0x${i.toString(16).padStart(40, '0')}`
const A: ValueId = `0x${'a'.repeat(64)}`
const B: ValueId = `0x${'b'.repeat(64)}`
const validators = new ValidatorSet([1, 2, 3, 4].map((i) => ({ address: address(i), power: i })))

const vote = (
  validator: number,
  valueId: ValueId | null,
  type: VoteType = 'prevote',
  round = 0,
): SignedVote => ({
  vote: { type, height: 1, round, valueId, validator: address(validator) },
  signature: `0x${validator}${valueId ?? 'nil'}`,
})

function addAll(votes: SignedVote[]): VoteBook {
  let book = VoteBook.empty(validators)
  for (const v of votes) {
    const outcome = book.add(v)
    if (outcome.kind === 'added' || outcome.kind === 'conflict') book = outcome.book
  }
  return book
}

describe('VoteBook', () => {
  it('weighs votes by power and separates types, rounds and values', () => {
    const book = addAll([
      vote(1, A),
      vote(3, A),
      vote(4, null),
      vote(2, A, 'precommit'),
      vote(4, B, 'prevote', 1),
    ])
    expect(book.powerFor(0, 'prevote', A)).toBe(4)
    expect(book.powerFor(0, 'prevote', null)).toBe(4)
    expect(book.powerAny(0, 'prevote')).toBe(8)
    expect(book.powerAny(0, 'precommit')).toBe(2)
    expect(book.powerFor(1, 'prevote', B)).toBe(4)
    expect(book.valuesVoted(0, 'prevote')).toEqual([A])
    expect(book.senderPower(0)).toBe(10)
    expect(book.rounds()).toEqual([0, 1])
  })

  it('ignores repeats, ignores strangers, and reports a conflicting vote against the first one', () => {
    let book = addAll([vote(3, A)])
    expect(book.add(vote(3, A)).kind).toBe('duplicate')
    expect(book.add(vote(9, A)).kind).toBe('not-a-validator')
    const outcome = book.add(vote(3, B))
    expect(outcome).toMatchObject({ kind: 'conflict', existing: vote(3, A) })
    if (outcome.kind !== 'conflict') return
    book = outcome.book
    // The equivocator counts for each value it signed, but once for "any".
    expect([book.powerFor(0, 'prevote', A), book.powerFor(0, 'prevote', B)]).toEqual([3, 3])
    expect(book.powerAny(0, 'prevote')).toBe(3)
    expect(book.votesFor(0, 'prevote', B)).toEqual([vote(3, B)])
    expect(isDuplicateVote(outcome.existing, vote(3, B))).toBe(true)
    expect(isDuplicateVote(vote(3, A), vote(3, A, 'precommit'))).toBe(false)
  })

  it('never changes a book it returned', () => {
    const before = addAll([vote(1, A)])
    const outcome = before.add(vote(2, A))
    expect(outcome.kind).toBe('added')
    expect(before.powerFor(0, 'prevote', A)).toBe(1)
  })
})
