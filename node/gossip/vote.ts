import type { SignedVote } from '../../consensus/index.ts'
import type { VoteMessage } from '../../protocol/index.ts'
import type { Epoch } from '../consensus/epochs.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'
import type { NextEpochMessages } from './next-epoch.ts'

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
 * One of the next epoch goes to `nextEpoch`, to be judged again once the node gets there.
 */
export function voteGossip(deps: VoteGossipDeps): GossipHandler<VoteMessage> {
  return {
    validate(m): GossipVerdict {
      const epoch = deps.epoch()
      if (m.epoch === epoch.number + 1 && deps.nextEpoch)
        return deps.nextEpoch.hold({ topic: 'votes', message: m }, epoch.number, deps.height())
      if (m.epoch !== epoch.number || m.vote.height <= deps.height()) return 'ignore'
      if (!epoch.verifier.verifyVote({ vote: m.vote, signature: m.signature })) return 'reject'
      return epoch.validators.has(m.vote.validator) ? 'accept' : 'ignore'
    },
    deliver: (m) => deps.consensus.onVote({ vote: m.vote, signature: m.signature }),
  }
}
