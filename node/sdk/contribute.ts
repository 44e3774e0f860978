import {
  type Address,
  addressOfPrivateKey,
  blobIdOf,
  type Contribution,
  type Hex32,
  type PoolInfo,
  ROUTES,
  signContribution,
  toHex,
} from '../../protocol/index.ts'
import {
  ContributionError,
  Contributor,
  heContext,
  isProfileName,
  type PoolRecord,
  poolKeyId,
  poolLayoutOf,
  type VaultManifest,
} from '../../sandbox/index.ts'
import type { Client } from './client.ts'
import { ClientError } from './errors.ts'

const INFO_TTL_MS = 5000

export interface ContributeOptions {
  /** the contributor's own counter in the pool; default: random (a replay of one is refused) */
  readonly sequence?: number
}

export interface SubmittedContribution {
  readonly contributionId: Hex32
  readonly blobId: Hex32
  readonly contributor: Address
  readonly window: number
  readonly sequence: number
  /** the TCFP bytes sent */
  readonly bytes: number
}

/**
 * A contributor's side of one pool: the pool's manifest read from a node (its id checked against
 * its content), the committee's public key checked against the key hash registered on chain and
 * against the pool's manifest, then any number of contributions encrypted and signed by
 * contributor keys. No node:* module on this path (docs/pools.md); node-seal is WASM.
 */
export class PoolContributor {
  readonly #client: Client
  readonly #manifest: VaultManifest
  readonly #contributor: Contributor
  #info: { readonly at: number; readonly info: Promise<PoolInfo> } | undefined

  private constructor(client: Client, manifest: VaultManifest, contributor: Contributor) {
    this.#client = client
    this.#manifest = manifest
    this.#contributor = contributor
  }

  static async open(client: Client, poolId: Hex32): Promise<PoolContributor> {
    // Asking for the pool makes the node load it (from the chain's manifest hash and its peers).
    await client.pool(poolId)
    const manifest = await client.vault(poolId)
    const holder = manifest.keyHolder
    if (!manifest.pool || !holder || !isProfileName(manifest.profile))
      throw new ClientError('NOT_A_POOL', `vault ${poolId} is not a pool`)
    const layout = poolLayoutOf(manifest)
    const key = await client.committeeKey(holder.epoch)
    if (key.keyHash !== holder.keyHash || key.key.publicKey.blobId !== manifest.keys.publicKey) {
      throw new ClientError(
        'NOT_A_POOL',
        `pool ${poolId} names key ${holder.keyHash}; epoch ${holder.epoch}'s registered key is ${key.keyHash}`,
      )
    }
    const ctx = await heContext(manifest.profile)
    const contributor = new Contributor(ctx, layout, { id: poolKeyId(manifest), publicKey: key.publicKey })
    return new PoolContributor(client, manifest, contributor)
  }

  get poolId(): Hex32 {
    return this.#manifest.vaultId as Hex32
  }

  /** Encrypts `records`, signs the claim with `key` for the window the next block is in, and submits. */
  async contribute(
    records: readonly PoolRecord[],
    key: Hex32,
    options: ContributeOptions = {},
  ): Promise<SubmittedContribution> {
    let bytes: Uint8Array
    try {
      bytes = this.#contributor.encrypt(records)
    } catch (e) {
      if (e instanceof ContributionError)
        throw new ClientError('CONTRIBUTION_INVALID', e.message, { cause: e })
      throw e
    }
    return submitContribution(this.#client, this.poolId, bytes, key, options, await this.#recentInfo())
  }

  info(): Promise<PoolInfo> {
    return this.#client.pool(this.poolId)
  }

  /**
   * The pool's info, asked again after INFO_TTL_MS: a contribution only needs the window, which
   * moves once per windowBlocks heights, so a fleet sending from one process need not ask per send.
   */
  #recentInfo(): Promise<PoolInfo> {
    if (!this.#info || Date.now() - this.#info.at > INFO_TTL_MS) {
      const info = this.info()
      this.#info = { at: Date.now(), info }
      info.catch(() => {
        this.#info = undefined
      })
    }
    return this.#info.info
  }

  close(): void {
    this.#contributor.delete()
  }
}

/** A random sequence number below 2^48: two contributions of one key collide with negligible odds. */
function randomSequence(): number {
  const words = crypto.getRandomValues(new Uint32Array(2))
  return (words[0]! % 0x10000) * 2 ** 32 + words[1]!
}

/**
 * Signs the claim on a contribution's bytes (EIP-712 `Contribution` under the chain's domain, for the
 * window the node's next block is in) and submits claim and bytes to the node: what
 * `PoolContributor.contribute` does after encrypting, and what a browser page that encrypted the
 * bytes itself calls. The node's refusal is a ClientError whose `apiCode` is the intake's code
 * (OVER_BOUND, REPLAYED_SEQUENCE, WRONG_KEY, ...). `info` saves asking the node for the pool again.
 */
export async function submitContribution(
  client: Client,
  poolId: Hex32,
  bytes: Uint8Array,
  key: Hex32,
  options: ContributeOptions = {},
  info?: PoolInfo,
): Promise<SubmittedContribution> {
  const pool = info ?? (await client.pool(poolId))
  const claim: Contribution = {
    version: 1,
    poolId,
    contributor: addressOfPrivateKey(key),
    window: Math.floor((pool.height + 1) / pool.bound.windowBlocks),
    sequence: options.sequence ?? randomSequence(),
    blobId: blobIdOf(bytes),
  }
  const signed = signContribution((await client.chain()).domain, key, claim)
  const accepted = await client.api.call(ROUTES.submitContribution, {
    params: { id: poolId },
    body: { version: 1, claim: signed, bytes: toHex(bytes) },
  })
  return {
    ...accepted,
    contributor: claim.contributor,
    window: claim.window,
    sequence: claim.sequence,
    bytes: bytes.length,
  }
}
