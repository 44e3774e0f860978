import type { SignedProposal, SignedVote, ValueId } from '../protocol/index.ts'
import type { TimeoutKind } from './params.ts'
import type { ValidatorSet } from './validator-set.ts'
import type { WalEntry } from './wal.ts'

export interface Timeout {
  readonly kind: TimeoutKind
  readonly height: number
  readonly round: number
}

/**
 * Everything that can happen to the core. Proposals and votes must already
 * have passed signature verification (the host owns the verifier, so that the
 * core never depends on a curve implementation).
 */
export type Input =
  | {
      readonly kind: 'start-height'
      readonly height: number
      readonly validators: ValidatorSet
      /** The WAL entries of this height after a restart; omit on a fresh start. */
      readonly recovered?: readonly WalEntry[]
    }
  | { readonly kind: 'proposal'; readonly signed: SignedProposal }
  | { readonly kind: 'vote'; readonly signed: SignedVote }
  | { readonly kind: 'timeout'; readonly timeout: Timeout }
  /** Reply to a `get-value` effect: the block the host built, by hash. */
  | {
      readonly kind: 'propose-value'
      readonly height: number
      readonly round: number
      readonly valueId: ValueId
    }
  /** Reply to a `validate-value` effect. Must be deterministic: every honest host answers alike. */
  | { readonly kind: 'validity'; readonly height: number; readonly valueId: ValueId; readonly valid: boolean }
