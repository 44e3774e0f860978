import type { SignedProposal, SignedVote, ValueId } from '../protocol/index.ts'

/** A value together with the round in which a polka for it was seen. */
export interface RoundValue {
  readonly round: number
  readonly valueId: ValueId
}

/**
 * What the core asks the host to make durable. Own proposals and votes are
 * what a restarted validator must never contradict; the lock is what keeps
 * it from prevoting against a value that may already be decided.
 */
export type WalEntry =
  | { readonly kind: 'proposal'; readonly signed: SignedProposal }
  | { readonly kind: 'vote'; readonly signed: SignedVote }
  | {
      readonly kind: 'lock'
      readonly height: number
      readonly locked: RoundValue | null
      readonly valid: RoundValue | null
    }

export function walEntryHeight(entry: WalEntry): number {
  switch (entry.kind) {
    case 'proposal':
      return entry.signed.proposal.height
    case 'vote':
      return entry.signed.vote.height
    case 'lock':
      return entry.height
  }
}

/**
 * The host's write-ahead log. Contract: `append` returns only once the entry
 * is durable (fsync), and the host releases the effects that follow a
 * `persist` effect only after that. A crash may lose the write in flight, but
 * then nothing that depended on it has left the node.
 */
export interface Wal {
  append(entry: WalEntry): void
  /** Durable entries of one height, in append order, for replay after a restart. */
  entries(height: number): readonly WalEntry[]
  /** Drops entries below a height once its decision is stored elsewhere. */
  prune(belowHeight: number): void
}
