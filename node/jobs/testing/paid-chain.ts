import type { Address, Hex32 } from '../../../protocol/index.ts'
import type { ChainFacts } from '../chain-facts.ts'

/**
 * Chain facts for rule tests: every job has an open escrow of 10 wei from `buyer` for `vaultId`
 * (no minimum quality, far-off expiry), and the vault is active at price 1 wei.
 */
export const paidChain = (terms: { buyer: Address; vaultId: Hex32; owner?: Address }): ChainFacts => ({
  number: 0,
  timestamp: 0n,
  escrow: () => ({
    status: 'open',
    buyer: terms.buyer,
    vaultId: terms.vaultId,
    amount: 10n,
    expiresAt: 10n ** 12n,
    minQuality: 0,
  }),
  vault: () => ({ owner: terms.owner ?? `0x${'33'.repeat(20)}`, active: true, price: 1n }),
})
