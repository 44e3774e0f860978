import type { SignedVote } from '../../consensus/index.ts'
import type { VoteMessage } from '../../protocol/index.ts'
import type { Epoch } from '../consensus/epochs.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'

export interface VoteGossipDeps {
  /** the epoch consensus runs in now */
  readonly epoch: () => Epoch
  /** the last decided height */
  readonly height: () => number
  readonly consensus: { onVote(signed: SignedVote): void }
}

/** A vote is for this epoch and a height not decided yet, signed by a validator of the epoch's set. */
export function voteGossip(deps: VoteGossipDeps): GossipHandler<VoteMessage> {
  return {
    validate(m): GossipVerdict {
      const epoch = deps.epoch()
      if (m.epoch !== epoch.number || m.vote.height <= deps.height()) return 'ignore'
      if (!epoch.verifier.verifyVote({ vote: m.vote, signature: m.signature })) return 'reject'
      return epoch.validators.has(m.vote.validator) ? 'accept' : 'ignore'
    },
    deliver: (m) => deps.consensus.onVote({ vote: m.vote, signature: m.signature }),
  }
}
