import type { SignedProposal } from '../../consensus/index.ts'
import { type Block, blockHash, type ProposalMessage } from '../../protocol/index.ts'
import type { Epoch } from '../consensus/epochs.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'
import type { NextEpochMessages } from './next-epoch.ts'
import { proposalKey, TakenMessages } from './taken.ts'

export interface ProposalGossipDeps {
  /** the epoch consensus runs in now */
  readonly epoch: () => Epoch
  /** the last decided height */
  readonly height: () => number
  /** holds the next epoch's messages until this node reaches it */
  readonly nextEpoch?: Pick<NextEpochMessages, 'hold'>
  readonly consensus: { onProposal(signed: SignedProposal, block: Block): void }
}

/**
 * A proposal is for this epoch and a height not decided yet, signed by its proposer over the hash
 * of the very block it carries. Its author is answerable for a bad signature or a block that is not
 * the one signed; a proposer outside the set may be from an epoch this node has not reached. One of
 * the next epoch goes to `nextEpoch`, to be judged again once the node gets there. A copy of a
 * proposal already taken (a re-send, or anyone's replay under a new `resentAt`) is ignored unchecked.
 */
export function proposalGossip(deps: ProposalGossipDeps): GossipHandler<ProposalMessage> {
  const taken = new TakenMessages()
  return {
    validate(m): GossipVerdict {
      const epoch = deps.epoch()
      if (m.epoch === epoch.number + 1 && deps.nextEpoch)
        return deps.nextEpoch.hold({ topic: 'proposals', message: m }, epoch.number, deps.height())
      const decided = deps.height()
      if (m.epoch !== epoch.number || m.proposal.height <= decided) return 'ignore'
      const key = proposalKey(m.proposal)
      if (taken.has(m.proposal.height, key)) return 'ignore'
      if (!epoch.verifier.verifyProposal({ proposal: m.proposal, signature: m.signature })) return 'reject'
      if (blockHash(m.block) !== m.proposal.valueId || m.block.height !== m.proposal.height) return 'reject'
      if (!epoch.validators.has(m.proposal.proposer)) return 'ignore'
      taken.add(m.proposal.height, key, decided)
      return 'accept'
    },
    deliver: (m) => deps.consensus.onProposal({ proposal: m.proposal, signature: m.signature }, m.block),
  }
}
