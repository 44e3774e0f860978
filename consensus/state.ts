import type { SignedProposal, SignedVote, ValueId } from '../protocol/index.ts'
import type { CommitCertificate } from './certificate.ts'
import type { ValidatorSet } from './validator-set.ts'
import type { VoteBook } from './vote-book.ts'
import type { RoundValue } from './wal.ts'

export type Step = 'propose' | 'prevote' | 'precommit' | 'decided'

/** Before the first `start-height`. */
export interface IdleState {
  readonly status: 'idle'
}

/** The variables of Algorithm 1 for one height, plus the messages received in it. */
export interface HeightState {
  readonly status: 'running'
  readonly height: number
  readonly validators: ValidatorSet
  readonly round: number
  readonly step: Step
  /** lockedValue / lockedRound; null is the paper's (nil, -1). */
  readonly locked: RoundValue | null
  /** validValue / validRound; null is the paper's (nil, -1). */
  readonly valid: RoundValue | null
  readonly decision: CommitCertificate | null
  /** Proposals from the rightful proposer of each round, by value (an equivocator may send several). */
  readonly proposals: ReadonlyMap<number, ReadonlyMap<ValueId, SignedProposal>>
  readonly votes: VoteBook
  readonly verdicts: ReadonlyMap<ValueId, boolean>
  /** Values whose `validate-value` is outstanding, so each is asked once. */
  readonly validating: ReadonlySet<ValueId>
  /** Own votes by `${round}:${type}`: once signed, a slot is never signed again. */
  readonly ownVotes: ReadonlyMap<string, SignedVote>
  readonly ownProposals: ReadonlyMap<number, SignedProposal>
  /** The round whose `get-value` is outstanding. */
  readonly awaitingValue: number | null
  /** The paper's "for the first time" rules that already fired, by `${rule}:${round}`. */
  readonly fired: ReadonlySet<string>
}

export type ConsensusState = IdleState | HeightState

export const IDLE: IdleState = { status: 'idle' }
