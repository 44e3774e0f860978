import type { ContractRunner } from 'ethers'
import type { Address, Hex32 } from '../hex.ts'
import { boundContract } from './transact.ts'

export interface VaultRecord {
  readonly owner: Address
  readonly active: boolean
  readonly manifestHash: Hex32
  readonly policyHash: Hex32
  readonly price: bigint
}

export interface VaultTerms {
  readonly manifestHash: Hex32
  readonly policyHash: Hex32
  readonly price: bigint
}

export function connectVaultRegistry(address: string, runner: ContractRunner) {
  const c = boundContract('VaultRegistry', address, runner)
  return {
    address,
    register: (vaultId: Hex32, t: VaultTerms) =>
      c.send('register', [vaultId, t.manifestHash, t.policyHash, t.price]),
    update: (vaultId: Hex32, t: VaultTerms) =>
      c.send('update', [vaultId, t.manifestHash, t.policyHash, t.price]),
    deactivate: (vaultId: Hex32) => c.send('deactivate', [vaultId]),
    /** The owner (a pool's curator) declares the vault a pool, once: JobMarket then holds its owner share for the contributors. */
    markPool: (vaultId: Hex32) => c.send('markPool', [vaultId]),
    isPool: async (vaultId: Hex32) => (await c.read('isPool', vaultId)) as boolean,
    vault: async (vaultId: Hex32): Promise<VaultRecord> => {
      const [owner, active, manifestHash, policyHash, price] = (await c.read('vaults', vaultId)) as [
        string,
        boolean,
        Hex32,
        Hex32,
        bigint,
      ]
      return { owner: owner.toLowerCase() as Address, active, manifestHash, policyHash, price }
    },
    contract: c.contract,
  }
}
export type VaultRegistryClient = ReturnType<typeof connectVaultRegistry>
