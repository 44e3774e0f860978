import type { SignedVote } from '../../consensus/index.ts'
import type { VoteMessage } from '../../protocol/index.ts'
import type { Epoch } from '../consensus/epochs.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'
import type { NextEpochMessages } from './next-epoch.ts'
import { TakenMessages, voteKey } from './taken.ts'

export interface VoteGossipDeps {
  /** the epoch consensus runs in now */
  readonly epoch: () => Epoch
  /** the last decided height */
  readonly height: () => number
  /** holds the next epoch's messages until this node reaches it */
  readonly nextEpoch?: Pick<NextEpochMessages, 'hold'>
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
    validate(m): GossipVerdict {
      const epoch = deps.epoch()
      if (m.epoch === epoch.number + 1 && deps.nextEpoch)
        return deps.nextEpoch.hold({ topic: 'votes', message: m }, epoch.number, deps.height())
      const decided = deps.height()
      if (m.epoch !== epoch.number || m.vote.height <= decided) return 'ignore'
      const key = voteKey(m.vote)
      if (taken.has(m.vote.height, key)) return 'ignore'
      if (!epoch.verifier.verifyVote({ vote: m.vote, signature: m.signature })) return 'reject'
      if (!epoch.validators.has(m.vote.validator)) return 'ignore'
      taken.add(m.vote.height, key, decided)
      return 'accept'
    },
    deliver: (m) => deps.consensus.onVote({ vote: m.vote, signature: m.signature }),
  }
}
