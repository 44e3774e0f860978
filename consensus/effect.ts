import type { SignedProposal, SignedVote, ValueId } from '../protocol/index.ts'
import type { CommitCertificate } from './certificate.ts'
import type { DuplicateVoteEvidence } from './evidence.ts'
import type { Timeout } from './input.ts'
import type { WalEntry } from './wal.ts'

export type ConsensusMessage =
  | { readonly kind: 'proposal'; readonly signed: SignedProposal }
  | { readonly kind: 'vote'; readonly signed: SignedVote }

/**
 * What the core asks the host to do, in order. The order is part of the
 * contract: the host must finish a `persist` (durably) before it executes any
 * later effect of the same step.
 */
export type Effect =
  | { readonly kind: 'persist'; readonly entry: WalEntry }
  | { readonly kind: 'broadcast'; readonly message: ConsensusMessage }
  | { readonly kind: 'schedule-timeout'; readonly timeout: Timeout; readonly duration: number }
  /** Answer with a `propose-value` input. */
  | { readonly kind: 'get-value'; readonly height: number; readonly round: number }
  /** Answer with a `validity` input. */
  | { readonly kind: 'validate-value'; readonly height: number; readonly valueId: ValueId }
  | {
      readonly kind: 'decide'
      readonly height: number
      readonly valueId: ValueId
      readonly certificate: CommitCertificate
    }
  | { readonly kind: 'evidence'; readonly evidence: DuplicateVoteEvidence }
