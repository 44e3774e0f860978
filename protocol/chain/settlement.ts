import type { Address } from '../hex.ts'
import type { EscrowClosing } from './jobMarket.ts'
import type { ValidatorSetMember } from './validatorRegistry.ts'

/** An amount of wei (decimal) credited to an account's JobMarket balance. */
export interface Credit {
  readonly address: Address
  readonly amount: string
}

export type SettlementCredits =
  | {
      readonly status: 'paid'
      /** absent for a pool: the owner share is held for its contributors instead */
      readonly owner?: Credit
      /** a pool's owner share (wei, decimal), held by JobMarket until each contributor claims its part */
      readonly heldForContributors?: string
      readonly validators: Credit[]
    }
  | {
      readonly status: 'rejected'
      /** the certified score and the escrow's minimum it fell short of, fixed point (QUALITY_SCALE) */
      readonly qualityScore: number
      readonly minQuality: number
      /** the escrow less the evaluation fee */
      readonly buyer: Credit
      /** the evaluation fee, split as a paid job's validator share */
      readonly validators: Credit[]
    }
  | { readonly status: 'refunded'; readonly buyer: Credit }

/**
 * Who JobMarket credited when it closed an escrow: the owner (paid; for a pool, the owner share held for
 * its contributors, who claim it one by one) or the buyer (rejected, below the
 * minimum quality) and each validator the proof's signers bitmap named over the epoch's set (the
 * event gives the per-validator amount, not the names), or only the buyer (refunded). The amounts are
 * the event's, so this describes what the chain did, not what it should do.
 */
export function settlementCredits(
  closing: EscrowClosing,
  members: readonly ValidatorSetMember[],
  signers: bigint,
): SettlementCredits {
  if (closing.status === 'refunded') {
    return { status: 'refunded', buyer: { address: closing.buyer, amount: String(closing.amount) } }
  }
  const validators = members
    .filter((_, i) => ((signers >> BigInt(i)) & 1n) === 1n)
    .map((m) => ({ address: m.address.toLowerCase() as Address, amount: String(closing.perValidator) }))
  if (closing.status === 'rejected') {
    return {
      status: 'rejected',
      qualityScore: closing.qualityScore,
      minQuality: closing.minQuality,
      buyer: { address: closing.buyer, amount: String(closing.refund) },
      validators,
    }
  }
  if (closing.heldForContributors) {
    return { status: 'paid', heldForContributors: String(closing.ownerAmount), validators }
  }
  return {
    status: 'paid',
    owner: { address: closing.owner, amount: String(closing.ownerAmount) },
    validators,
  }
}
