import { describe, expect, it } from 'vitest'
import { addressOfPrivateKey, type Hex32, type VoteMessage } from '../../protocol/index.ts'
import { consensusSigner, epoch, keys, outsider } from './testing/epoch.ts'
import { voteGossip } from './vote.ts'

function message(key: Hex32, height: number, epochNumber = epoch.number): VoteMessage {
  const vote = {
    type: 'prevote' as const,
    height,
    round: 0,
    valueId: `0x${'44'.repeat(32)}` as Hex32,
    validator: addressOfPrivateKey(key),
  }
  return { version: 1, epoch: epochNumber, ...consensusSigner(key, epochNumber).signVote(vote) }
}

describe('vote gossip', () => {
  const delivered: number[] = []
  const votes = voteGossip({
    epoch: () => epoch,
    height: () => 5,
    consensus: { onVote: (signed) => delivered.push(signed.vote.height) },
  })

  it("accepts a validator's vote for a height not decided yet and hands it to consensus", () => {
    const m = message(keys[0] as Hex32, 6)
    expect(votes.validate(m)).toBe('accept')
    votes.deliver(m)
    expect(delivered).toEqual([6])
  })

  it('rejects a vote whose signature is not its validator’s', () => {
    const m = message(keys[0] as Hex32, 6)
    expect(
      votes.validate({ ...m, vote: { ...m.vote, validator: addressOfPrivateKey(keys[1] as Hex32) } }),
    ).toBe('reject')
  })

  it('ignores decided heights, other epochs and signers outside the set', () => {
    expect(votes.validate(message(keys[0] as Hex32, 5))).toBe('ignore')
    expect(votes.validate(message(keys[0] as Hex32, 6, epoch.number + 1))).toBe('ignore')
    expect(votes.validate(message(outsider, 6))).toBe('ignore')
  })
})
