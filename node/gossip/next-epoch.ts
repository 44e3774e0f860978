import type { SignatureVerifier } from '../../consensus/index.ts'
import {
  blockHash,
  createEip712Verifier,
  type Eip712Domain,
  type ProposalMessage,
  type VoteMessage,
} from '../../protocol/index.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'
import { proposalKey, voteKey } from './taken.ts'

/** A proposal or vote signed under an epoch this node has not reached yet. */
export type EarlyConsensusMessage =
  | { readonly topic: 'proposals'; readonly message: ProposalMessage }
  | { readonly topic: 'votes'; readonly message: VoteMessage }

export interface NextEpochLimits {
  /** messages held at once */
  readonly messages: number
  /** messages held for one signer */
  readonly perSigner: number
  /** how far past this node's last decided height a held message's height may be */
  readonly heightsAhead: number
}

/**
 * An honest validator sends a proposal and two votes a round; an epoch's first height rarely
 * takes more than a few rounds, and the boundary is one or two heights wide.
 */
export const NEXT_EPOCH_LIMITS: NextEpochLimits = { messages: 1024, perSigner: 64, heightsAhead: 2 }

/**
 * The proposals and votes of the next epoch that arrive before this node switched to it.
 *
 * The nodes switch epoch when they commit the last block of the old one, not at one instant: a
 * node a few milliseconds behind its peers receives their first messages of the new epoch while
 * it is still in the old one. Dropped, they are gone for good (content-addressed gossip never
 * delivers the same bytes twice), and a new set of three, which needs every member's votes, then
 * waits forever for a member that never saw round 0. Held here, they are judged again, in full,
 * the moment the node reaches the epoch.
 *
 * Who belongs to the next set is not known here, so what is held is bounded: the signature must be
 * its signer's under that epoch (a bad one is the sender's fault and rejected), the height at most
 * `heightsAhead` past the node's, and counts per signer and in all are capped; a copy of a held
 * message under another `resentAt` is not held again (else replays of one vote would use up its
 * signer's room). A peer spamming with fresh keys can fill the room and cost the node early
 * messages, which the senders re-send once the round is stuck (ConsensusDriver), nothing worse.
 */
export class NextEpochMessages {
  readonly #domain: Eip712Domain
  readonly #limits: NextEpochLimits
  #epoch = -1
  #verifier: SignatureVerifier | undefined
  #held: EarlyConsensusMessage[] = []
  readonly #perSigner = new Map<string, number>()
  /** What each held message's signature covers: a copy under another `resentAt` is not held twice. */
  readonly #keys = new Set<string>()

  constructor(domain: Eip712Domain, limits: NextEpochLimits = NEXT_EPOCH_LIMITS) {
    this.#domain = domain
    this.#limits = limits
  }

  get size(): number {
    return this.#held.length
  }

  /**
   * The verdict on a message of the epoch after `current`, seen at decided height `height`: held
   * and ignored for now when well signed and there is room; rejected when not well signed.
   */
  hold(entry: EarlyConsensusMessage, current: number, height: number): GossipVerdict {
    const { message } = entry
    if (message.epoch !== current + 1) return 'ignore'
    const slot = entry.topic === 'votes' ? entry.message.vote : entry.message.proposal
    if (slot.height <= height || slot.height > height + this.#limits.heightsAhead) return 'ignore'
    const key = entry.topic === 'votes' ? voteKey(entry.message.vote) : proposalKey(entry.message.proposal)
    if (this.#keys.has(key)) return 'ignore'
    const verifier = this.#verifierFor(message.epoch)
    if (entry.topic === 'votes') {
      const { vote, signature } = entry.message
      if (!verifier.verifyVote({ vote, signature })) return 'reject'
    } else {
      const { proposal, signature, block } = entry.message
      if (!verifier.verifyProposal({ proposal, signature })) return 'reject'
      if (blockHash(block) !== proposal.valueId || block.height !== proposal.height) return 'reject'
    }
    const signer = entry.topic === 'votes' ? entry.message.vote.validator : entry.message.proposal.proposer
    const signerKey = signer.toLowerCase()
    const count = this.#perSigner.get(signerKey) ?? 0
    if (count >= this.#limits.perSigner || this.#held.length >= this.#limits.messages) return 'ignore'
    this.#perSigner.set(signerKey, count + 1)
    this.#keys.add(key)
    this.#held.push(entry)
    return 'ignore'
  }

  /** The messages held for `epoch`, oldest first; everything held is let go. */
  take(epoch: number): EarlyConsensusMessage[] {
    const held = this.#held.filter((e) => e.message.epoch === epoch)
    this.#held = []
    this.#perSigner.clear()
    this.#keys.clear()
    return held
  }

  #verifierFor(epoch: number): SignatureVerifier {
    if (this.#verifier === undefined || this.#epoch !== epoch) {
      this.#verifier = createEip712Verifier({ domain: this.#domain, epoch })
      this.#epoch = epoch
    }
    return this.#verifier
  }
}

/**
 * Hands held messages to their topics' handlers as if they had just arrived: each is validated
 * again against the epoch the node is in now (its set included), and delivered if accepted.
 * Returns how many were delivered.
 */
export async function redeliver(
  held: readonly EarlyConsensusMessage[],
  handlers: {
    readonly proposals: GossipHandler<ProposalMessage>
    readonly votes: GossipHandler<VoteMessage>
  },
): Promise<number> {
  let delivered = 0
  for (const entry of held) {
    if (entry.topic === 'votes') {
      if ((await handlers.votes.validate(entry.message)) !== 'accept') continue
      handlers.votes.deliver(entry.message)
    } else {
      if ((await handlers.proposals.validate(entry.message)) !== 'accept') continue
      handlers.proposals.deliver(entry.message)
    }
    delivered++
  }
  return delivered
}
