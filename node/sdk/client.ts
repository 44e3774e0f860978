import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import type { ValidatorSet } from '../../consensus/index.ts'
import {
  type Address,
  blobIdOf,
  collectiveKeyHash,
  computePolicyHash,
  connectCommitteeKeys,
  type DecidedBlock,
  type Hex,
  type Hex32,
  type JobPayouts,
  type JobPreview,
  type JobRecord,
  type JobRequest,
  type JobStage,
  jobIdOf,
  manifestBlob,
  markAsPool,
  type NodeStatus,
  type PoolInfo,
  type PoolSnapshotView,
  ROUTES,
  type SealedResult,
  type SignedJobRequest,
  signJobRequest,
  signPoolBan,
  specHash,
  type VaultBudget,
  type VaultSummary,
} from '../../protocol/index.ts'
import {
  BLOB_DIR,
  isSandboxError,
  minQualityOf,
  type PoolRecord,
  parseManifest,
  parseSpec,
  readManifest,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { type ChainContext, connectChain, onChain } from './chain.ts'
import { type ContributeOptions, PoolContributor, type SubmittedContribution } from './contribute.ts'
import { ClientError } from './errors.ts'
import { NodeApi } from './http.ts'
import {
  claimPayout,
  type PayoutClaimed,
  type PayoutSource,
  type PoolEarnings,
  poolEarnings,
} from './payouts.ts'
import { openResult } from './result.ts'
import { generateSealingKey, type SealingKeyPair, sealingPublicKeyOf } from './sealing.ts'
import { type JobSettlement, settleJob } from './settle.ts'
import type { CommitteeKey, JobResult, PublishedVault, PublishProgress } from './types.ts'
import { validatorSetAt } from './validators.ts'
import { type WaitOptions, waitForStages } from './wait.ts'

export interface ClientOptions {
  /** a node's API, e.g. http://127.0.0.1:26657 */
  readonly url: string
  /** the caller's secp256k1 key: signs API writes and job requests, pays chain transactions */
  readonly key?: Hex32
  /** overrides the chain RPC the node reports (e.g. from another host) */
  readonly rpcUrl?: string
}

export interface SubmitJobOptions {
  readonly vaultId: Hex32
  /** the algorithm spec (JSON); checked locally before anything is paid */
  readonly spec: unknown
  /** heights from now until the job fails unless released (default 600) */
  readonly deadlineHeights?: number
  /** seal the result to this key instead of a fresh one */
  readonly sealingKey?: Uint8Array
  /** seconds until the escrow may be refunded if the job never settles (default 2 hours) */
  readonly escrowSeconds?: number
}

export interface SubmittedJob {
  readonly jobId: Hex32
  readonly request: SignedJobRequest
  readonly sealingKey: SealingKeyPair
  readonly escrowTx: Hex32
}

const DEFAULT_DEADLINE_HEIGHTS = 600
const DEFAULT_ESCROW_SECONDS = 2 * 60 * 60

/**
 * The typed client of a tcf node for sellers, buyers and operators: the
 * node's HTTP API plus the chain transactions that go with it (vault
 * registration, job escrow). Everything a node says about a result is
 * checked against signatures before it is believed.
 */
export class Client {
  readonly api: NodeApi
  readonly #key: Hex32 | undefined
  readonly #rpcUrl: string | undefined
  #chain: Promise<ChainContext> | undefined
  /** Transactions from one key go out one at a time: a dev chain refuses nonces out of order. */
  #transactions: Promise<unknown> = Promise.resolve()
  /** Epoch validator sets as the chain snapshotted them: fixed once the epoch started. */
  readonly #validatorSets = new Map<number, ValidatorSet>()

  constructor(options: ClientOptions) {
    this.api = new NodeApi(options.url)
    this.#key = options.key
    this.#rpcUrl = options.rpcUrl
  }

  #transact<T>(what: string, send: () => Promise<T>): Promise<T> {
    const sent = this.#transactions.then(() => onChain(what, send))
    this.#transactions = sent.catch(() => undefined)
    return sent
  }

  /** Stops the chain provider's polling so that a process can exit. */
  async close(): Promise<void> {
    const chain = await this.#chain?.catch(() => undefined)
    chain?.provider.destroy()
  }

  status(): Promise<NodeStatus> {
    return this.api.call(ROUTES.status, {})
  }

  /** The chain this node runs against, connected once per client. */
  chain(): Promise<ChainContext> {
    this.#chain ??= this.status().then((s) => connectChain(s.chain, this.#key, this.#rpcUrl))
    return this.#chain
  }

  /**
   * Seller: registers the vault on chain unless it already is with these
   * terms, announces its manifest, uploads every blob of it (signed), then
   * publishes the manifest. Registered first, the owner is held only to its
   * own upload quota on the node, not to the pool shared by unregistered
   * vaults; and the node checks the published manifest against the chain.
   */
  async publishVault(
    vaultDir: string,
    options: { readonly onProgress?: (p: PublishProgress) => void } = {},
  ): Promise<PublishedVault> {
    const key = this.#requireKey('publish a vault')
    const manifest = await readManifest(vaultDir)
    const blobDir = join(vaultDir, BLOB_DIR)
    const names = (await readdir(blobDir)).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort()
    const sizes = await Promise.all(names.map(async (n) => (await readFile(join(blobDir, n))).length))
    const progress = { blobsDone: 0, blobsTotal: names.length, bytesDone: 0, bytesTotal: sum(sizes) }
    const registeredTx = await this.#register(manifest)
    options.onProgress?.(progress)
    // Only a vault's owner may store its blobs on a node, and only the blobs its manifest names.
    const vaultId = manifest.vaultId as Hex32
    await this.api.call(ROUTES.announceVault, { body: manifest }, { signWith: key })
    for (const name of names) {
      const bytes = await readFile(join(blobDir, name))
      await this.api.call(
        ROUTES.putBlob,
        { params: { id: `0x${name}` }, query: { vault: vaultId }, body: new Uint8Array(bytes) },
        { signWith: key },
      )
      progress.blobsDone++
      progress.bytesDone += bytes.length
      options.onProgress?.({ ...progress })
    }
    const published = await this.api.call(ROUTES.publishVault, { body: manifest }, { signWith: key })
    return { ...published, registeredTx, blobs: names.length, bytes: progress.bytesTotal }
  }

  async #register(manifest: VaultManifest): Promise<Hex32 | undefined> {
    const chain = await this.chain()
    const owner = chain.wallet!.address.toLowerCase()
    const vaultId = manifest.vaultId as Hex32
    const terms = {
      manifestHash: manifestBlob(manifest).id,
      policyHash: computePolicyHash(manifest.policy),
      price: BigInt(manifest.policy.price),
    }
    const current = await onChain('read the vault registry', () => chain.vaults.vault(vaultId))
    if (current.owner === ZERO_ADDRESS) {
      return (await this.#transact('register the vault', () => chain.vaults.register(vaultId, terms)))
        .hash as Hex32
    }
    if (current.owner !== owner) {
      throw new ClientError(
        'VAULT_NOT_OWNED',
        `vault ${vaultId} is registered to ${current.owner}, not ${owner}`,
      )
    }
    const same =
      current.manifestHash === terms.manifestHash &&
      current.policyHash === terms.policyHash &&
      current.price === terms.price
    if (same) return undefined
    return (await this.#transact('update the vault terms', () => chain.vaults.update(vaultId, terms)))
      .hash as Hex32
  }

  /**
   * Seller (threshold mode): the committee key of an epoch (the chain's current one by default),
   * fetched from this node and checked, not trusted: the record's hash must be the one the Anchor
   * registered for the epoch (`committeeKeys(epoch)`), and the public key's bytes must hash to the
   * blob id the record names. Encrypt a vault under `publicKey` and no one below the committee's
   * threshold can open it.
   */
  async committeeKey(epoch?: number): Promise<CommitteeKey> {
    const info =
      epoch === undefined
        ? await this.api.maybe(ROUTES.committee, {})
        : await this.api.maybe(ROUTES.committeeOfEpoch, { params: { epoch } })
    if (info?.key == null || info.keyHash === null) {
      throw new ClientError(
        'COMMITTEE_KEY_UNAVAILABLE',
        `${this.api.url} has no committee key${epoch === undefined ? '' : ` for epoch ${epoch}`} yet`,
      )
    }
    const { key, keyHash } = info
    if (collectiveKeyHash(key) !== keyHash) {
      throw new ClientError('COMMITTEE_KEY_INVALID', `the node's key record does not hash to ${keyHash}`)
    }
    const chain = await this.chain()
    const registered = await onChain('read Anchor.committeeKeys', () =>
      connectCommitteeKeys(chain.info.addresses.anchor, chain.provider).keyHash(info.epoch),
    )
    if (registered !== keyHash) {
      throw new ClientError(
        'COMMITTEE_KEY_INVALID',
        registered === undefined
          ? `no committee key is registered on chain for epoch ${info.epoch}`
          : `epoch ${info.epoch}'s registered key is ${registered}, the node served ${keyHash}`,
      )
    }
    const publicKey = await this.api.call(ROUTES.getBlob, { params: { id: key.publicKey.blobId } })
    if (publicKey.length !== key.publicKey.size || blobIdOf(publicKey) !== key.publicKey.blobId) {
      throw new ClientError(
        'COMMITTEE_KEY_INVALID',
        `public key bytes do not hash to ${key.publicKey.blobId}`,
      )
    }
    return {
      epoch: info.epoch,
      keyHash,
      key,
      members: info.members,
      threshold: info.threshold,
      publicKey,
    }
  }

  async vaults(): Promise<readonly VaultSummary[]> {
    return (await this.api.call(ROUTES.vaults, {})).vaults
  }

  async vault(vaultId: Hex32): Promise<VaultManifest> {
    const manifest = await this.api.maybe(ROUTES.vault, { params: { id: vaultId } })
    if (!manifest) throw new ClientError('VAULT_NOT_FOUND', `${this.api.url} has no vault ${vaultId}`)
    // The wire schema bounds the manifest; the sandbox's own rules (column kinds, ranges) refine it.
    try {
      return parseManifest(manifest, `${this.api.url} vault ${vaultId}`)
    } catch (cause) {
      if (isSandboxError(cause)) throw new ClientError('BAD_RESPONSE', cause.message, { cause })
      throw cause
    }
  }

  /** Contributor: encrypts `records` under the pool's committee key, signs with `signer` and submits. */
  async contribute(
    poolId: Hex32,
    records: readonly PoolRecord[],
    signer: Hex32,
    options: ContributeOptions = {},
  ): Promise<SubmittedContribution> {
    const contributor = await PoolContributor.open(this, poolId)
    try {
      return await contributor.contribute(records, signer, options)
    } finally {
      contributor.close()
    }
  }

  /** Curator: bans a contributor key from the pool (signed with the client's key, the pool's curator). */
  async banContributor(poolId: Hex32, contributor: Address): Promise<void> {
    const key = this.#requireKey('ban a contributor')
    const ban = signPoolBan((await this.chain()).domain, key, { poolId, contributor })
    await this.api.call(ROUTES.banContributor, { params: { id: poolId }, body: ban })
  }

  /** A pool's terms, size, contributors and log head, as this node knows them. */
  async pool(poolId: Hex32): Promise<PoolInfo> {
    const info = await this.api.maybe(ROUTES.pool, { params: { id: poolId } })
    if (!info) throw new ClientError('NOT_A_POOL', `${this.api.url} knows no pool ${poolId}`)
    return info
  }

  /** A pool as of a height: the aggregate's blob id, the counts per contributor, the payouts root. */
  poolSnapshot(poolId: Hex32, height: number): Promise<PoolSnapshotView | undefined> {
    return this.api.maybe(ROUTES.poolSnapshot, { params: { id: poolId, height } })
  }

  /** A vault's privacy budget: epsilon total, spent and remaining at the node's height. */
  async budget(vaultId: Hex32): Promise<VaultBudget> {
    const budget = await this.api.maybe(ROUTES.budget, { params: { id: vaultId } })
    if (!budget) throw new ClientError('VAULT_NOT_FOUND', `${this.api.url} has no vault ${vaultId}`)
    return budget
  }

  /** Buyer, before paying: the spec's cost, epsilon, noise and 95% error per output, and the budget left. */
  async preview(vaultId: Hex32, spec: unknown): Promise<JobPreview> {
    return this.api.call(ROUTES.preview, { params: { id: vaultId }, body: spec })
  }

  /**
   * Buyer: signs a job request (EIP-712) sealed to a fresh key, escrows the
   * vault's on-chain price for it, and submits it. Keep `sealingKey`: it is
   * the only way to open the result.
   */
  async submitJob(options: SubmitJobOptions): Promise<SubmittedJob> {
    const key = this.#requireKey('submit a job')
    const minQuality = minQualityOf(parseSpec(options.spec))
    const chain = await this.chain()
    // Escrow expiry is chain time, which a dev chain may have moved away from the wall clock.
    const [status, vault, latest] = await Promise.all([
      this.status(),
      onChain('read the vault registry', () => chain.vaults.vault(options.vaultId)),
      onChain('read the latest block', () => chain.provider.getBlock('latest')),
    ])
    if (vault.owner === ZERO_ADDRESS || !vault.active) {
      throw new ClientError(
        'VAULT_NOT_FOUND',
        `vault ${options.vaultId} is not registered and active on chain`,
      )
    }
    const sealingKey = options.sealingKey
      ? { privateKey: options.sealingKey, publicKey: sealingPublicKeyOf(options.sealingKey) }
      : generateSealingKey()
    const request: JobRequest = {
      version: 1,
      vaultId: options.vaultId,
      algorithm: { specHash: specHash(options.spec), spec: options.spec as JobRequest['algorithm']['spec'] },
      buyer: chain.wallet!.address.toLowerCase() as Hex,
      maxPrice: vault.price.toString(),
      deadline: status.height + (options.deadlineHeights ?? DEFAULT_DEADLINE_HEIGHTS),
      // @noble rather than node:crypto: the web app submits jobs from the browser through this client.
      nonce: `0x${bytesToHex(randomBytes(32))}`,
      sealingPublicKey: sealingKey.publicKey,
    }
    const signed = signJobRequest(chain.domain, key, request)
    const jobId = jobIdOf(request)
    const now = latest?.timestamp ?? Math.floor(Date.now() / 1000)
    const expiresAt = BigInt(now + (options.escrowSeconds ?? DEFAULT_ESCROW_SECONDS))
    const escrow = await this.#transact('open the escrow', () =>
      chain.market.openJob(jobId, options.vaultId, expiresAt, vault.price, minQuality),
    )
    await this.api.call(ROUTES.submitJob, { body: signed })
    return { jobId, request: signed, sealingKey, escrowTx: escrow.hash as Hex32 }
  }

  async job(jobId: Hex32): Promise<JobRecord> {
    return this.api.call(ROUTES.job, { params: { id: jobId } })
  }

  async jobs(
    filter: { readonly vault?: Hex32; readonly stage?: JobStage } = {},
  ): Promise<readonly JobRecord[]> {
    return (await this.api.call(ROUTES.jobs, { query: filter })).jobs
  }

  /** Polls until the job reaches one of `stages`; a job that fails instead is JOB_FAILED. */
  waitForJob(jobId: Hex32, stages: readonly JobStage[], options: WaitOptions = {}): Promise<JobRecord> {
    return waitForStages((id) => this.job(id), jobId, stages, options)
  }

  /**
   * Buyer: the released result, believed only once the block at its
   * certified height carries commit and result certificates of more than
   * 2/3 of the chain's validator set for the job and hash, the release is
   * signed by the vault's on-chain owner, hashes the sealed payload, and
   * names that result; then unsealed and checked once more.
   */
  async result(jobId: Hex32, sealingPrivateKey: Uint8Array): Promise<JobResult> {
    const chain = await this.chain()
    return openResult(
      {
        chain,
        job: (id) => this.job(id),
        sealed: (id) => this.sealed(id),
        block: (height) => this.block(height),
        validatorSet: (epoch) => this.#validatorSet(chain, epoch),
        nodeUrl: this.api.url,
      },
      jobId,
      sealingPrivateKey,
    )
  }

  /** The sealed result as the node stores it, checked against the wire schema. */
  async sealed(jobId: Hex32): Promise<SealedResult> {
    const sealed = await this.api.maybe(ROUTES.sealed, { params: { id: jobId } }).catch((e: unknown) => {
      if (e instanceof ClientError && e.code === 'BAD_RESPONSE')
        throw new ClientError('BAD_RELEASE', `job ${jobId}: the sealed result is malformed`, { cause: e })
      throw e
    })
    if (sealed === undefined)
      throw new ClientError('NOT_RELEASED', `${this.api.url} holds no sealed result for ${jobId}`)
    return sealed
  }

  /**
   * Anyone (buyer, owner, operator): closes a job's escrow on chain from its anchored outcome, or
   * refunds it once expired past the grace; idempotent, a settled job reports its settlement.
   */
  async settle(jobId: Hex32): Promise<JobSettlement> {
    const chain = await this.chain()
    return settleJob(
      {
        chain,
        job: (id) => this.job(id),
        block: (height) => this.block(height),
        transact: (what, send) => this.#transact(what, send),
      },
      jobId,
    )
  }

  /**
   * Curator: marks a registered vault a pool on chain (once; a vault already marked sends nothing),
   * so that its jobs' owner share goes to the contributors. The transaction hash when one was sent.
   */
  async markPool(vaultId: Hex32): Promise<Hex32 | undefined> {
    this.#requireKey('mark a pool')
    const chain = await this.chain()
    return this.#transact('mark the pool', () => markAsPool(chain.vaults, vaultId))
  }

  /** A pool job's payouts as this node serves them, unchecked (claimPayout checks them against the chain). */
  payouts(jobId: Hex32): Promise<JobPayouts | undefined> {
    return this.api.maybe(ROUTES.payouts, { params: { id: jobId } })
  }

  /**
   * Contributor: credits its share of a settled pool job to `contributor` (this client's address by
   * default) in JobMarket, from the payouts this node serves, checked against the chain first.
   */
  async claimPayout(jobId: Hex32, contributor?: Address): Promise<PayoutClaimed> {
    return claimPayout(await this.#payoutSource(), jobId, contributor)
  }

  /** Contributor: its shares of pool jobs, claimed or not, and its withdrawable balance. */
  async poolEarnings(
    contributor?: Address,
    options: { readonly vaultId?: Hex32 } = {},
  ): Promise<PoolEarnings> {
    const source = await this.#payoutSource()
    const who = contributor ?? (source.chain.wallet?.address as Address | undefined)
    if (who === undefined) throw new ClientError('KEY_REQUIRED', 'name a contributor or give a key')
    return poolEarnings(source, who, options)
  }

  /** Any payee (contributor, owner, validator, buyer): withdraws its JobMarket balance; the wei sent. */
  async withdraw(): Promise<bigint> {
    this.#requireKey('withdraw')
    const chain = await this.chain()
    const who = chain.wallet!.address.toLowerCase() as Address
    const amount = await onChain('read the balance', () => chain.market.balance(who))
    if (amount === 0n) return 0n
    await this.#transact('withdraw', () => chain.market.withdraw())
    return amount
  }

  async #payoutSource(): Promise<PayoutSource> {
    return {
      chain: await this.chain(),
      payouts: (id) => this.payouts(id),
      transact: (what, send) => this.#transact(what, send),
    }
  }

  /** Vault owner: hands a signed, sealed release to the network. */
  async release(sealed: SealedResult): Promise<void> {
    await this.api.call(ROUTES.release, { body: sealed })
  }

  block(height: number): Promise<DecidedBlock | undefined> {
    return this.api.maybe(ROUTES.block, { params: { height } })
  }

  /** A blob by id; signed when the client has a key, as result bundles are served only to validators and owners. */
  blob(id: Hex32): Promise<Uint8Array | undefined> {
    return this.api.maybe(ROUTES.getBlob, { params: { id } }, this.#key ? { signWith: this.#key } : {})
  }

  async #validatorSet(chain: ChainContext, epoch: number): Promise<ValidatorSet> {
    let set = this.#validatorSets.get(epoch)
    if (!set) {
      set = await validatorSetAt(chain, epoch)
      this.#validatorSets.set(epoch, set)
    }
    return set
  }

  #requireKey(what: string): Hex32 {
    if (!this.#key) throw new ClientError('KEY_REQUIRED', `a key is needed to ${what}`)
    return this.#key
  }
}

const ZERO_ADDRESS = `0x${'0'.repeat(40)}`
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)
