import type { SignedProposal } from '../../consensus/index.ts'
import { type Block, blockHash, type ProposalMessage } from '../../protocol/index.ts'
import type { GossipHandler } from '../ports.ts'
import { type ConsensusTopicDeps, consensusVerdict } from './consensus-verdict.ts'
import { proposalKey, TakenMessages } from './taken.ts'

export interface ProposalGossipDeps extends ConsensusTopicDeps {
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
    validate: (m) =>
      consensusVerdict(deps, taken, {
        early: { topic: 'proposals', message: m },
        epoch: m.epoch,
        height: m.proposal.height,
        key: proposalKey(m.proposal),
        signer: m.proposal.proposer,
        valid: (epoch) =>
          epoch.verifier.verifyProposal({ proposal: m.proposal, signature: m.signature }) &&
          blockHash(m.block) === m.proposal.valueId &&
          m.block.height === m.proposal.height,
      }),
    deliver: (m) => deps.consensus.onProposal({ proposal: m.proposal, signature: m.signature }, m.block),
  }
}
