import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  computePolicyHash,
  type Hex,
  type Hex32,
  type JobRequest,
  jobIdOf,
  QUALITY_SCALE,
  type SealedResult,
  type SignedJobRequest,
  sealedHashOf,
  sealedResultCodec,
  signJobRequest,
  specHash,
  verifyRelease,
} from '../../protocol/index.ts'
import { BLOB_DIR, parseSpec, readManifest, type VaultManifest } from '../../sandbox/index.ts'
import { JOB_STAGES } from '../storage/job-record.ts'
import { manifestBlob } from '../vaults.ts'
import { type ChainContext, connectChain, onChain } from './chain.ts'
import { ClientError } from './errors.ts'
import { NodeApi } from './http.ts'
import { decodePayload } from './payload.ts'
import { generateSealingKey, type SealingKeyPair, sealingPublicKeyOf, unseal } from './sealing.ts'
import { type JobSettlement, settleJob } from './settle.ts'
import type {
  DecidedBlock,
  JobRecord,
  JobResult,
  JobStage,
  NodeStatus,
  PublishedVault,
  PublishProgress,
  VaultSummary,
} from './types.ts'

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

export interface WaitOptions {
  readonly timeoutMs?: number
  readonly pollMs?: number
  /** called once per stage the job enters, in order, with the node's record at that time */
  readonly onStage?: (stage: JobStage, at: string, job: JobRecord) => void
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
    return this.api.json<NodeStatus>('/v1/status')
  }

  /** The chain this node runs against, connected once per client. */
  chain(): Promise<ChainContext> {
    this.#chain ??= this.status().then((s) => {
      if (!s.chain) throw new ClientError('BAD_RESPONSE', `${this.api.url} does not report its chain`)
      return connectChain(s.chain, this.#key, this.#rpcUrl)
    })
    return this.#chain
  }

  /**
   * Seller: uploads every blob of a vault (signed), registers the vault on
   * chain unless it already is with these terms, then publishes the manifest.
   * The node checks the manifest against the chain, hence this order.
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
    options.onProgress?.(progress)
    for (const name of names) {
      const bytes = await readFile(join(blobDir, name))
      await this.api.json(`/v1/blobs/0x${name}`, {
        method: 'PUT',
        body: new Uint8Array(bytes),
        signWith: key,
      })
      progress.blobsDone++
      progress.bytesDone += bytes.length
      options.onProgress?.({ ...progress })
    }
    const registeredTx = await this.#register(manifest)
    const published = await this.api.json<{ vaultId: Hex32; manifestHash: Hex32 }>('/v1/vaults', {
      method: 'POST',
      body: manifest,
      signWith: key,
    })
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

  async vaults(): Promise<readonly VaultSummary[]> {
    return (await this.api.json<{ vaults: VaultSummary[] }>('/v1/vaults')).vaults
  }

  async vault(vaultId: Hex32): Promise<VaultManifest> {
    const manifest = await this.api.maybeJson<VaultManifest>(`/v1/vaults/${vaultId}`)
    if (!manifest) throw new ClientError('VAULT_NOT_FOUND', `${this.api.url} has no vault ${vaultId}`)
    return manifest
  }

  /**
   * Buyer: signs a job request (EIP-712) sealed to a fresh key, escrows the
   * vault's on-chain price for it, and submits it. Keep `sealingKey`: it is
   * the only way to open the result.
   */
  async submitJob(options: SubmitJobOptions): Promise<SubmittedJob> {
    const key = this.#requireKey('submit a job')
    parseSpec(options.spec)
    const chain = await this.chain()
    const [status, vault] = await Promise.all([
      this.status(),
      onChain('read the vault registry', () => chain.vaults.vault(options.vaultId)),
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
      nonce: `0x${randomBytes(32).toString('hex')}`,
      sealingPublicKey: sealingKey.publicKey,
    }
    const signed = signJobRequest(chain.domain, key, request)
    const jobId = jobIdOf(request)
    // Escrow expiry is chain time, which a dev chain may have moved away from the wall clock.
    const now = (await chain.provider.getBlock('latest'))?.timestamp ?? Math.floor(Date.now() / 1000)
    const expiresAt = BigInt(now + (options.escrowSeconds ?? DEFAULT_ESCROW_SECONDS))
    const escrow = await this.#transact('open the escrow', () =>
      chain.market.openJob(jobId, options.vaultId, expiresAt, vault.price),
    )
    await this.api.json<{ jobId: Hex32 }>('/v1/jobs', { method: 'POST', body: signed })
    return { jobId, request: signed, sealingKey, escrowTx: escrow.hash as Hex32 }
  }

  async job(jobId: Hex32): Promise<JobRecord> {
    return this.api.json<JobRecord>(`/v1/jobs/${jobId}`)
  }

  async jobs(
    filter: { readonly vault?: Hex32; readonly stage?: JobStage } = {},
  ): Promise<readonly JobRecord[]> {
    const query = new URLSearchParams()
    if (filter.vault) query.set('vault', filter.vault)
    if (filter.stage) query.set('stage', filter.stage)
    const qs = query.size > 0 ? `?${query}` : ''
    return (await this.api.json<{ jobs: JobRecord[] }>(`/v1/jobs${qs}`)).jobs
  }

  /** Polls until the job reaches one of `stages`; a job that fails instead is JOB_FAILED. */
  async waitForJob(jobId: Hex32, stages: readonly JobStage[], options: WaitOptions = {}): Promise<JobRecord> {
    const deadline = Date.now() + (options.timeoutMs ?? 300_000)
    const seen = new Set<JobStage>()
    for (;;) {
      const job = await this.job(jobId).catch((e: unknown) => {
        // Another node may not have heard of the job yet.
        if (e instanceof ClientError && e.status === 404) return undefined
        throw e
      })
      if (job) {
        for (const stage of JOB_STAGES) {
          const at = job.stages[stage]
          if (at !== undefined && !seen.has(stage)) {
            seen.add(stage)
            options.onStage?.(stage, at, job)
          }
        }
        if (stages.includes(job.stage)) return job
        if (job.stage === 'failed') {
          throw new ClientError(
            'JOB_FAILED',
            `job ${jobId} failed: ${job.failReason ?? job.refusal?.message ?? 'no reason given'}`,
          )
        }
      }
      if (Date.now() > deadline) {
        throw new ClientError(
          'TIMEOUT',
          `job ${jobId} is ${job?.stage ?? 'unknown'}, not ${stages.join('/')}`,
        )
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 500))
    }
  }

  /**
   * Buyer: the released result, believed only once the release is signed by
   * the vault's on-chain owner, hashes the sealed payload, and matches the
   * result the network certified; then unsealed and checked once more.
   */
  async result(jobId: Hex32, sealingPrivateKey: Uint8Array): Promise<JobResult> {
    const job = await this.job(jobId)
    if (job.stage !== 'released' || !job.resultHash || job.certifiedHeight === undefined) {
      throw new ClientError('NOT_RELEASED', `job ${jobId} is ${job.stage}, not released`)
    }
    const sealed = await this.sealed(jobId)
    const { release } = sealed
    const chain = await this.chain()
    const vaultId = job.request.request.vaultId
    const vault = await onChain('read the vault registry', () => chain.vaults.vault(vaultId))
    const bad = (why: string) => new ClientError('BAD_RELEASE', `job ${jobId}: ${why}`)
    if (sealedHashOf(sealed.sealed) !== release.sealedHash)
      throw bad('the release does not hash the sealed payload')
    if (!verifyRelease(chain.domain, release)) throw bad('the release signature is not by its owner')
    if (release.owner !== vault.owner)
      throw bad(`released by ${release.owner}, the vault owner is ${vault.owner}`)
    if (release.jobId !== jobId || release.resultHash !== job.resultHash) {
      throw bad(`the release is for result ${release.resultHash}, the network certified ${job.resultHash}`)
    }
    if (job.qualityScore !== undefined && job.qualityScore !== release.qualityScore) {
      throw bad(`the release scores ${release.qualityScore}, the network recorded ${job.qualityScore}`)
    }
    const payload = decodePayload(unseal(sealed.sealed, sealingPrivateKey))
    if (payload.jobId !== jobId || payload.resultHash !== job.resultHash || payload.vaultId !== vaultId) {
      throw bad('the sealed result names another job or result')
    }
    const q = payload.quality
    const signedScores = [
      q.score,
      q.components.sampleSize,
      q.components.completeness,
      q.components.plausibility,
      q.components.fitness,
    ]
    const released = [
      release.qualityScore,
      release.components.sampleSize,
      release.components.completeness,
      release.components.plausibility,
      release.components.fitness,
    ]
    if (signedScores.some((v, i) => Math.round(v * QUALITY_SCALE) !== released[i])) {
      throw bad('the sealed quality score differs from the signed one')
    }
    return {
      jobId,
      vaultId,
      resultHash: job.resultHash,
      outputs: payload.outputs,
      quality: payload.quality,
      qualityScoreFixed: release.qualityScore,
      owner: release.owner,
      heights: { admitted: job.admittedHeight, certified: job.certifiedHeight, released: job.releasedHeight },
      anchorTx: job.anchorTx,
    }
  }

  /** The sealed result as the node stores it, checked against the wire schema. */
  async sealed(jobId: Hex32): Promise<SealedResult> {
    const body = await this.api.maybeJson<unknown>(`/v1/jobs/${jobId}/sealed`)
    if (body === undefined)
      throw new ClientError('NOT_RELEASED', `${this.api.url} holds no sealed result for ${jobId}`)
    const parsed = sealedResultCodec.schema.safeParse(body)
    if (!parsed.success) throw new ClientError('BAD_RELEASE', `job ${jobId}: the sealed result is malformed`)
    return parsed.data
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

  /** Vault owner: hands a signed, sealed release to the network. */
  async release(sealed: SealedResult): Promise<void> {
    await this.api.json('/v1/releases', { method: 'POST', body: sealed })
  }

  block(height: number): Promise<DecidedBlock | undefined> {
    return this.api.maybeJson<DecidedBlock>(`/v1/blocks/${height}`)
  }

  blob(id: Hex32): Promise<Uint8Array | undefined> {
    return this.api.bytes(`/v1/blobs/${id}`)
  }

  #requireKey(what: string): Hex32 {
    if (!this.#key) throw new ClientError('KEY_REQUIRED', `a key is needed to ${what}`)
    return this.#key
  }
}

const ZERO_ADDRESS = `0x${'0'.repeat(40)}`
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)
