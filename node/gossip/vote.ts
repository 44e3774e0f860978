import type { SignedVote } from '../../consensus/index.ts'
import type { VoteMessage } from '../../protocol/index.ts'
import type { GossipHandler } from '../ports.ts'
import { type ConsensusTopicDeps, consensusVerdict } from './consensus-verdict.ts'
import { TakenMessages, voteKey } from './taken.ts'

export interface VoteGossipDeps extends ConsensusTopicDeps {
  readonly consensus: { onVote(signed: SignedVote): void }
}

/**
 * A vote is for this epoch and a height not decided yet, signed by a validator of the epoch's set.
 * One of the next epoch goes to `nextEpoch`, to be judged again once the node gets there. A copy
 * of a vote already taken (a re-send, or anyone's replay under a new `resentAt`) is ignored unchecked.
 */
export function voteGossip(deps: VoteGossipDeps): GossipHandler<VoteMessage> {
  const taken = new TakenMessages()
  return {
    validate: (m) =>
      consensusVerdict(deps, taken, {
        early: { topic: 'votes', message: m },
        epoch: m.epoch,
        height: m.vote.height,
        key: voteKey(m.vote),
        signer: m.vote.validator,
        valid: (epoch) => epoch.verifier.verifyVote({ vote: m.vote, signature: m.signature }),
      }),
    deliver: (m) => deps.consensus.onVote({ vote: m.vote, signature: m.signature }),
  }
}
