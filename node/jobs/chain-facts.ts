import type { Address, Hex32 } from '../../protocol/index.ts'

/** A job's escrow as the JobMarket recorded it at one chain block. */
export interface EscrowFact {
  readonly status: 'open' | 'paid' | 'refunded' | 'rejected'
  readonly buyer: Address
  readonly vaultId: Hex32
  readonly amount: bigint
  /** chain time (seconds) after which the buyer may take the escrow back */
  readonly expiresAt: bigint
  /** the least certified quality score the escrow pays for, fixed point (QUALITY_SCALE) */
  readonly minQuality: number
}

/** A vault as the VaultRegistry recorded it at one chain block. */
export interface VaultFact {
  readonly owner: Address
  readonly active: boolean
  readonly price: bigint
  /** marked a pool (VaultRegistry.isPool): settlement holds the owner share for the contributors */
  readonly pool?: boolean
}

/**
 * What the chain said at one block number, loaded before the rules run so
 * that they stay synchronous and pure. Every honest validator reading the
 * same number reads the same facts: that is what makes chain state usable
 * in block validity. A key the loader was not asked for reads as absent.
 */
export interface ChainFacts {
  readonly number: number
  /** the block's timestamp (seconds) */
  readonly timestamp: bigint
  escrow(jobId: Hex32): EscrowFact | undefined
  vault(vaultId: Hex32): VaultFact | undefined
}

export interface ChainFactsData {
  readonly number: number
  readonly timestamp: bigint
  readonly escrows: ReadonlyMap<Hex32, EscrowFact>
  readonly vaults: ReadonlyMap<Hex32, VaultFact>
}

export function chainFacts(data: ChainFactsData): ChainFacts {
  return {
    number: data.number,
    timestamp: data.timestamp,
    escrow: (jobId) => data.escrows.get(jobId),
    vault: (vaultId) => data.vaults.get(vaultId),
  }
}

/** Facts at `number` without any escrow or vault: what a block that reads nothing from the chain needs. */
export const noChainFacts = (number: number): ChainFacts =>
  chainFacts({ number, timestamp: 0n, escrows: new Map(), vaults: new Map() })

/** What a block needs read from the chain: the escrow of every admitted job, the vault of every admission and release. */
export interface ChainNeeds {
  readonly jobs: readonly Hex32[]
  readonly vaults: readonly Hex32[]
}

/**
 * How long an escrow must stay locked for a job admitted now: the heights
 * left until its deadline at a bounded pace, then time to settle. Protocol
 * parameters: every validator must use the same values.
 */
export interface EscrowTerms {
  /** an upper bound on the chain seconds one height takes */
  readonly secondsPerHeight: number
  /** time after the deadline for the release (or failure) to be anchored and settled */
  readonly settlementSeconds: number
}

export const DEFAULT_ESCROW_TERMS: EscrowTerms = { secondsPerHeight: 10, settlementSeconds: 600 }
