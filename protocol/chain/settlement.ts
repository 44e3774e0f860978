import type { Address } from '../hex.ts'
import type { EscrowClosing } from './jobMarket.ts'
import type { ValidatorSetMember } from './validatorRegistry.ts'

/** An amount of wei (decimal) credited to an account's JobMarket balance. */
export interface Credit {
  readonly address: Address
  readonly amount: string
}

export type SettlementCredits =
  | { readonly status: 'paid'; readonly owner: Credit; readonly validators: Credit[] }
  | { readonly status: 'refunded'; readonly buyer: Credit }

/**
 * Who JobMarket credited when it closed an escrow: the owner and each validator the proof's signers
 * bitmap named over the epoch's set (JobPaid gives the per-validator amount, not the names), or the
 * buyer. The amounts are the event's, so this describes what the chain did, not what it should do.
 */
export function settlementCredits(
  closing: EscrowClosing,
  members: readonly ValidatorSetMember[],
  signers: bigint,
): SettlementCredits {
  if (closing.status === 'refunded') {
    return { status: 'refunded', buyer: { address: closing.buyer, amount: String(closing.amount) } }
  }
  return {
    status: 'paid',
    owner: { address: closing.owner, amount: String(closing.ownerAmount) },
    validators: members
      .filter((_, i) => ((signers >> BigInt(i)) & 1n) === 1n)
      .map((m) => ({ address: m.address.toLowerCase() as Address, amount: String(closing.perValidator) })),
  }
}
