import { describe, expect, it } from 'vitest'
import type { SignatureVerifier } from '../../consensus/index.ts'
import type { Epoch } from '../../node/consensus/epochs.ts'
import { proposalGossip } from '../../node/gossip/proposal.ts'
import { consensusSigner, emptyBlock, epoch, keys, prevoteMessage } from '../../node/gossip/testing/epoch.ts'
import { voteGossip } from '../../node/gossip/vote.ts'
import type { GossipHandler, GossipVerdict } from '../../node/ports.ts'
import { addressOfPrivateKey, blockHash, type Hex32, type ProposalMessage } from '../../protocol/index.ts'

/**
 * A re-sent vote or proposal carries `resentAt` outside its signature, so that gossip's content
 * ids let it through. Anyone can therefore take an honest validator's signed vote and publish it
 * again and again under fresh stamps: each copy is new bytes, and a node that accepts it checks its
 * signature once more and forwards it to its mesh. A node must take one copy of a signed message
 * and ignore the rest unchecked.
 */
const COPIES = 50

/** A node at decided height 5 in the test epoch, counting signature checks. */
function counting(): { node: { epoch: () => Epoch; height: () => number }; checks: () => number } {
  let checks = 0
  const verifier: SignatureVerifier = {
    verifyVote: (signed) => {
      checks++
      return epoch.verifier.verifyVote(signed)
    },
    verifyProposal: (signed) => {
      checks++
      return epoch.verifier.verifyProposal(signed)
    },
  }
  const counted: Epoch = { ...epoch, verifier }
  return { node: { epoch: () => counted, height: () => 5 }, checks: () => checks }
}

/** Publishes COPIES of `message` under fresh stamps: the first is accepted, the rest ignored, one signature checked. */
async function expectOneCopyTaken<T extends { readonly resentAt?: number | undefined }>(
  handler: GossipHandler<T>,
  message: T,
  checks: () => number,
): Promise<void> {
  const verdicts: GossipVerdict[] = []
  for (let i = 0; i < COPIES; i++) verdicts.push(await handler.validate({ ...message, resentAt: 1_000 + i }))
  expect(verdicts[0]).toBe('accept')
  expect(verdicts.slice(1).every((v) => v === 'ignore')).toBe(true)
  expect(checks()).toBe(1)
}

const key = keys[0] as Hex32
const validator = addressOfPrivateKey(key)

describe('replaying a signed vote or proposal under fresh resentAt stamps', () => {
  it('gets one copy of a vote accepted and checked; the replays are ignored without a check', async () => {
    const { node, checks } = counting()
    const votes = voteGossip({ ...node, consensus: { onVote: () => {} } })
    await expectOneCopyTaken(votes, prevoteMessage(key, 6), checks)
  })

  it('does the same for a proposal, whose block is hashed on every accepted copy', async () => {
    const { node, checks } = counting()
    const proposals = proposalGossip({ ...node, consensus: { onProposal: () => {} } })
    const block = emptyBlock(key, 6)
    const signed = consensusSigner(key).signProposal({
      height: 6,
      round: 0,
      valueId: blockHash(block),
      validRound: -1,
      proposer: validator,
    })
    const proposal: ProposalMessage = { version: 1, epoch: epoch.number, ...signed, block }
    await expectOneCopyTaken(proposals, proposal, checks)
  })

  it('still takes a second, conflicting vote of the same validator: equivocation evidence is not deduplicated away', () => {
    const votes = voteGossip({ ...counting().node, consensus: { onVote: () => {} } })
    const first = prevoteMessage(key, 6)
    const second = prevoteMessage(key, 6, { valueId: `0x${'55'.repeat(32)}` as Hex32 })
    expect(votes.validate(first)).toBe('accept')
    expect(votes.validate(second)).toBe('accept')
  })
})
