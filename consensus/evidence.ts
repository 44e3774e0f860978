import type { SignedVote } from '../protocol/index.ts'

/**
 * Two votes by one validator for the same height, round and type but different
 * values. Both are signed, so anyone holding the validator's public key (the
 * chain included) can check it and slash.
 */
export interface DuplicateVoteEvidence {
  readonly a: SignedVote
  readonly b: SignedVote
}

export function isDuplicateVote(a: SignedVote, b: SignedVote): boolean {
  return (
    a.vote.validator === b.vote.validator &&
    a.vote.height === b.vote.height &&
    a.vote.round === b.vote.round &&
    a.vote.type === b.vote.type &&
    a.vote.valueId !== b.vote.valueId
  )
}
