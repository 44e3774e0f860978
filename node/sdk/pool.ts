import type { Address, Hex32 } from '../../protocol/index.ts'
import {
  type AlgorithmSpec,
  type Policy,
  type PoolSection,
  poolManifest,
  type VaultManifest,
  type VaultSchema,
  writePool,
} from '../../sandbox/index.ts'
import type { Client } from './client.ts'
import { committeeVaultKeys, fetchCommitteeKey } from './committee.ts'
import type { PublishedVault } from './types.ts'

export interface CreatePoolOptions {
  readonly schema: VaultSchema
  /** the specs buyers will run: the layout holds exactly their monomials */
  readonly specs: readonly AlgorithmSpec[]
  readonly policy: Policy
  readonly maxRecords: number
  readonly scaleBits?: number
  readonly bound: PoolSection['bound']
  readonly minContributors: number
  /** the committee's epoch (default: the chain's current one) */
  readonly epoch?: number
  /** the pool directory to write (must not exist) */
  readonly out: string
}

export interface CreatedPool {
  readonly manifest: VaultManifest
  readonly published: PublishedVault
  /** the markPool transaction, when one was sent (a retried create finds the pool marked) */
  readonly markedTx?: Hex32
}

/**
 * Curator: a pool under the committee's key (fetched from the client's node and checked against
 * the hash on chain, as `tcf vault create --committee` does), written as a vault directory and
 * published: registered on chain like a vault, owned by the curator (the client's key).
 */
export async function createPool(
  client: Client,
  curator: Address,
  options: CreatePoolOptions,
): Promise<CreatedPool> {
  const committee = committeeVaultKeys(await fetchCommitteeKey(client, options.epoch))
  const manifest = poolManifest({
    schema: options.schema,
    specs: options.specs,
    policy: options.policy,
    committee,
    maxRecords: options.maxRecords,
    ...(options.scaleBits === undefined ? {} : { scaleBits: options.scaleBits }),
    bound: options.bound,
    minContributors: options.minContributors,
    curator,
  })
  await writePool(manifest, committee, options.out)
  // Registered like any vault, then marked: JobMarket holds the owner share of its jobs for the
  // contributors (pool jobs attest poolResultHash, so the settled hash fixes their payouts), and
  // the nodes refuse jobs on a pool the chain does not mark (POOL_NOT_MARKED).
  const published = await client.publishVault(options.out)
  const markedTx = await client.markPool(manifest.vaultId as Hex32)
  return { manifest, published, ...(markedTx ? { markedTx } : {}) }
}
