import type { Address } from '../../protocol/index.ts'
import type { Epoch } from '../consensus/epochs.ts'
import type { GossipVerdict } from '../ports.ts'
import type { EarlyConsensusMessage, NextEpochMessages } from './next-epoch.ts'
import type { TakenMessages } from './taken.ts'

/** What the proposal and vote topics read of the node. */
export interface ConsensusTopicDeps {
  /** the epoch consensus runs in now */
  readonly epoch: () => Epoch
  /** the last decided height */
  readonly height: () => number
  /** holds the next epoch's messages until this node reaches it */
  readonly nextEpoch?: Pick<NextEpochMessages, 'hold'>
}

/** A proposal or vote as its topic's verdict needs it. */
export interface SignedConsensusMessage {
  /** the message as it goes to the next-epoch holder */
  readonly early: EarlyConsensusMessage
  readonly epoch: number
  readonly height: number
  /** what its signature covers (taken.ts) */
  readonly key: string
  readonly signer: Address
  /** the signature and what it must match, under `epoch`: false is the sender's fault */
  readonly valid: (epoch: Epoch) => boolean
}

/**
 * The proposal and vote topics' verdict, in one order for both: the next epoch's messages go to
 * the holder; other epochs and decided heights are ignored; a copy of a message already taken is
 * ignored before any check; a bad signature or content is rejected; a signer outside the set is
 * ignored. A key is recorded only once its message checked out, so a forged copy cannot shut the
 * real one out.
 */
export function consensusVerdict(
  deps: ConsensusTopicDeps,
  taken: TakenMessages,
  m: SignedConsensusMessage,
): GossipVerdict {
  const epoch = deps.epoch()
  const decided = deps.height()
  if (m.epoch === epoch.number + 1 && deps.nextEpoch)
    return deps.nextEpoch.hold(m.early, epoch.number, decided)
  if (m.epoch !== epoch.number || m.height <= decided) return 'ignore'
  if (taken.has(m.height, m.key)) return 'ignore'
  if (!m.valid(epoch)) return 'reject'
  if (!epoch.validators.has(m.signer)) return 'ignore'
  taken.add(m.height, m.key, decided)
  return 'accept'
}
