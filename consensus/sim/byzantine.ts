import type { ConsensusSigner, ValueId } from '../../protocol/index.ts'
import type { ConsensusMessage } from '../effect.ts'
import type { ConsensusState } from '../state.ts'
import type { ByzantineBehaviour } from './scenario.ts'

/**
 * The message an equivocating validator sends to half of its peers in place
 * of `message`, or null when its behaviours leave `message` alone. It runs the
 * honest core and lies on the way out, so its lies are well-timed and
 * well-formed: signed with its own key for the current height and round.
 */
export function conflictingMessage(
  message: ConsensusMessage,
  behaviours: ReadonlySet<ByzantineBehaviour>,
  signer: ConsensusSigner,
  state: ConsensusState,
  forgeValue: () => ValueId,
): ConsensusMessage | null {
  if (message.kind === 'proposal') {
    if (!behaviours.has('equivocating-proposer')) return null
    const proposal = { ...message.signed.proposal, valueId: forgeValue(), validRound: -1 }
    return { kind: 'proposal', signed: signer.signProposal(proposal) }
  }
  if (!behaviours.has('double-voter')) return null
  const vote = message.signed.vote
  const other = vote.valueId === null ? proposedValue(state, vote.round) : null
  if (vote.valueId === null && other === null) return null
  return { kind: 'vote', signed: signer.signVote({ ...vote, valueId: other }) }
}

function proposedValue(state: ConsensusState, round: number): ValueId | null {
  if (state.status !== 'running') return null
  const [first] = state.proposals.get(round)?.keys() ?? []
  return first ?? null
}

/** Amnesia: the validator behaves honestly but drops its lock after every step. */
export function forgetLock(state: ConsensusState): ConsensusState {
  return state.status === 'running' && state.locked !== null ? { ...state, locked: null } : state
}
