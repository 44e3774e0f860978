export type {
  Address,
  ConsensusSigner,
  Hex,
  Proposal,
  SignatureVerifier,
  SignedProposal,
  SignedVote,
  ValueId,
  Vote,
  VoteType,
} from '../protocol/index.ts'
export { type CommitCertificate, verifyCommitCertificate } from './certificate.ts'
export { type Consensus, type ConsensusContext, createConsensus, type StepResult, step } from './core.ts'
export type { ConsensusMessage, Effect } from './effect.ts'
export { ConsensusError, type ConsensusErrorCode } from './errors.ts'
export { type DuplicateVoteEvidence, isDuplicateVote } from './evidence.ts'
export type { Input, Timeout } from './input.ts'
export { MUTATIONS, type Mutation } from './mutation.ts'
export {
  type ConsensusParams,
  DEFAULT_PARAMS,
  type TimeoutKind,
  type TimeoutParams,
  timeoutDuration,
} from './params.ts'
export { hasQuorum } from './quorum.ts'
export { type ConsensusState, type HeightState, IDLE, type IdleState, type Step } from './state.ts'
export { type Validator, ValidatorSet } from './validator-set.ts'
export { VoteBook } from './vote-book.ts'
export { type RoundValue, type Wal, type WalEntry, walEntryHeight } from './wal.ts'
export { fromWireCertificate, toWireCertificate } from './wire-certificate.ts'
