import { describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  type Block,
  blockHash,
  type Hex32,
  type ProposalMessage,
} from '../../protocol/index.ts'
import { proposalGossip } from './proposal.ts'
import { consensusSigner, emptyBlock, epoch, keys, outsider } from './testing/epoch.ts'

function message(key: Hex32, height: number, block = emptyBlock(key, height)): ProposalMessage {
  const proposal = {
    height,
    round: 0,
    valueId: blockHash(block),
    validRound: -1,
    proposer: addressOfPrivateKey(key),
  }
  return { version: 1, epoch: epoch.number, ...consensusSigner(key).signProposal(proposal), block }
}

describe('proposal gossip', () => {
  const delivered: Block[] = []
  const proposals = proposalGossip({
    epoch: () => epoch,
    height: () => 0,
    consensus: { onProposal: (_signed, block) => delivered.push(block) },
  })

  it("accepts a validator's signed proposal of the block it carries", () => {
    const m = message(keys[1] as Hex32, 1)
    expect(proposals.validate(m)).toBe('accept')
    proposals.deliver(m)
    expect(delivered).toEqual([m.block])
  })

  it('rejects a proposal carrying another block than the one signed, or another height', () => {
    const key = keys[2] as Hex32
    const m = message(key, 1)
    expect(proposals.validate({ ...m, block: { ...m.block, chainBlock: 9 } })).toBe('reject')
    const elsewhere = emptyBlock(key, 2)
    const signedForOther = message(key, 1, elsewhere)
    expect(proposals.validate(signedForOther)).toBe('reject')
    // Neither forgery shut the real proposal out, and once it is taken a copy is ignored unchecked.
    expect(proposals.validate(m)).toBe('accept')
    expect(proposals.validate({ ...m, block: { ...m.block, chainBlock: 9 } })).toBe('ignore')
  })

  it('ignores a proposal from outside the set or for a decided height', () => {
    expect(proposals.validate(message(outsider, 1))).toBe('ignore')
    const decided = proposalGossip({
      epoch: () => epoch,
      height: () => 1,
      consensus: { onProposal: () => {} },
    })
    expect(decided.validate(message(keys[1] as Hex32, 1))).toBe('ignore')
  })
})
