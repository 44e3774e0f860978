import type { Hex32 } from '../hex.ts'
import type { VaultRegistryClient } from './vaultRegistry.ts'

/**
 * The curator's one call after registering a pool's manifest: marks the vault a pool on chain, so
 * that JobMarket holds the owner share of its jobs for the contributors. Idempotent (a retried
 * `tcf pool create` finds it marked and sends nothing); the transaction hash when it sent one. The
 * caller must be the vault's owner: VaultRegistry refuses anyone else (NotVaultOwner).
 */
export async function markAsPool(
  vaults: Pick<VaultRegistryClient, 'isPool' | 'markPool'>,
  vaultId: Hex32,
): Promise<Hex32 | undefined> {
  if (await vaults.isPool(vaultId)) return undefined
  return (await vaults.markPool(vaultId)).hash as Hex32
}
