import { describe, expect, it } from 'vitest'
import { type SignedVote, ValidatorSet } from '../../consensus/index.ts'
import {
  addressOfPrivateKey,
  type Block,
  blockHash,
  createEip712Verifier,
  generatePrivateKey,
  type Hex32,
  type ProposalMessage,
  type VoteMessage,
} from '../../protocol/index.ts'
import type { Epoch } from '../consensus/epochs.ts'
import { NextEpochMessages, redeliver } from './next-epoch.ts'
import { proposalGossip } from './proposal.ts'
import {
  consensusSigner,
  domain,
  emptyBlock,
  keys,
  epoch as next,
  outsider,
  prevoteMessage,
} from './testing/epoch.ts'
import { voteGossip } from './vote.ts'

/** The epoch before `next` (number 2): another set, which the node is still in. */
const previous: Epoch = {
  number: next.number - 1,
  validators: new ValidatorSet(
    [...keys.slice(0, 3), generatePrivateKey()].map((k) => ({ address: addressOfPrivateKey(k), power: 1 })),
  ),
  verifier: createEip712Verifier({ domain, epoch: next.number - 1 }),
}

const vote = (key: Hex32, height: number, round = 0): VoteMessage => prevoteMessage(key, height, { round })

function proposal(key: Hex32, height: number): ProposalMessage {
  const block = emptyBlock(key, height)
  const body = {
    height,
    round: 0,
    valueId: blockHash(block),
    validRound: -1,
    proposer: addressOfPrivateKey(key),
  }
  return { version: 1, epoch: next.number, ...consensusSigner(key).signProposal(body), block }
}

/** A node at decided height 5, in `previous` until `switchEpoch`, with the next epoch's holder wired. */
function node(held = new NextEpochMessages(domain)) {
  let current = previous
  const votes: SignedVote[] = []
  const proposals: Block[] = []
  const deps = { epoch: () => current, height: () => 5, nextEpoch: held }
  const handlers = {
    votes: voteGossip({ ...deps, consensus: { onVote: (signed) => votes.push(signed) } }),
    proposals: proposalGossip({ ...deps, consensus: { onProposal: (_, block) => proposals.push(block) } }),
  }
  return {
    held,
    handlers,
    votes,
    proposals,
    switchEpoch: () => {
      current = next
      return redeliver(held.take(next.number), handlers)
    },
  }
}

describe('the next epoch’s early messages', () => {
  it('are held while the node is in the old epoch and delivered, checked in full, once it switches', async () => {
    const n = node()
    const early = [proposal(keys[0] as Hex32, 6), vote(keys[0] as Hex32, 6), vote(keys[3] as Hex32, 6)]
    expect(n.handlers.proposals.validate(early[0] as ProposalMessage)).toBe('ignore')
    expect(n.handlers.votes.validate(early[1] as VoteMessage)).toBe('ignore')
    expect(n.handlers.votes.validate(early[2] as VoteMessage)).toBe('ignore')
    // Signed by a key outside the new set: held (membership is unknown yet), dropped at the switch.
    expect(n.handlers.votes.validate(vote(outsider, 6))).toBe('ignore')
    expect(n.votes).toEqual([])
    expect(n.held.size).toBe(4)

    expect(await n.switchEpoch()).toBe(3)
    expect(n.proposals.map((b) => b.height)).toEqual([6])
    expect(n.votes.map((v) => v.vote.validator)).toEqual([
      addressOfPrivateKey(keys[0] as Hex32),
      addressOfPrivateKey(keys[3] as Hex32),
    ])
    expect(n.held.size).toBe(0)
  })

  it('without the holder, are lost: the loss that stalled a new set of three', async () => {
    let current = previous
    const votes: SignedVote[] = []
    const handler = voteGossip({
      epoch: () => current,
      height: () => 5,
      consensus: { onVote: (signed) => votes.push(signed) },
    })
    expect(handler.validate(vote(keys[0] as Hex32, 6))).toBe('ignore')
    current = next
    expect(votes).toEqual([])
  })

  it('rejects a bad signature or a proposal that carries another block than the one signed', () => {
    const n = node()
    const good = vote(keys[0] as Hex32, 6)
    const forged = { ...good, vote: { ...good.vote, validator: addressOfPrivateKey(keys[1] as Hex32) } }
    expect(n.handlers.votes.validate(forged)).toBe('reject')
    const p = proposal(keys[0] as Hex32, 6)
    expect(n.handlers.proposals.validate({ ...p, block: { ...p.block, chainBlock: 9 } })).toBe('reject')
    expect(n.held.size).toBe(0)
  })

  it('holds nothing for decided heights, heights too far ahead, or epochs past the next', () => {
    const n = node()
    expect(n.handlers.votes.validate(vote(keys[0] as Hex32, 5))).toBe('ignore')
    expect(n.handlers.votes.validate(vote(keys[0] as Hex32, 8))).toBe('ignore')
    const later = { ...vote(keys[0] as Hex32, 6), epoch: next.number + 1 }
    expect(n.handlers.votes.validate(later)).toBe('ignore')
    expect(n.held.size).toBe(0)
  })

  it('holds at most its bounds, per signer and in all', () => {
    const held = new NextEpochMessages(domain, { messages: 5, perSigner: 3, heightsAhead: 2 })
    const n = node(held)
    for (let round = 0; round < 5; round++) n.handlers.votes.validate(vote(keys[0] as Hex32, 6, round))
    expect(held.size).toBe(3)
    for (let round = 0; round < 5; round++) n.handlers.votes.validate(vote(keys[1] as Hex32, 6, round))
    expect(held.size).toBe(5)
  })

  it('holds one copy of a message replayed under fresh resentAt stamps, so replays cannot use up its signer’s room', () => {
    const held = new NextEpochMessages(domain, { messages: 100, perSigner: 3, heightsAhead: 2 })
    const n = node(held)
    const early = vote(keys[0] as Hex32, 6)
    for (let i = 1; i <= 10; i++) n.handlers.votes.validate({ ...early, resentAt: i })
    expect(held.size).toBe(1)
    n.handlers.votes.validate(vote(keys[0] as Hex32, 6, 1))
    expect(held.size).toBe(2)
  })

  it('lets go of what it held for another epoch', async () => {
    const n = node()
    n.handlers.votes.validate(vote(keys[0] as Hex32, 6))
    expect(n.held.take(next.number + 1)).toEqual([])
    expect(n.held.size).toBe(0)
  })
})
