import { setTimeout as sleep } from 'node:timers/promises'
import type { SecretKey } from 'node-seal'
import type { Logger } from 'pino'
import type { ValidatorSet } from '../../consensus/index.ts'
import type { Hex32 } from '../../protocol/index.ts'
import {
  type AlgorithmSpec,
  type Circuit,
  circuitIdOf,
  compile,
  DEFAULT_LIMITS,
  decodeBundle,
  type HeContext,
  heContext,
  isSandboxError,
  loadSecretKey,
  minQualityOf,
  type PrivacyPlan,
  parseSpec,
  planPrivacy,
  type ResultBundle,
  readManifest,
  type VaultManifest,
} from '../../sandbox/index.ts'
import {
  type ChainContext,
  Client,
  ClientError,
  type DecidedBlock,
  type JobRecord,
  type VerifiedBlock,
  validatorSetAt,
  verifyCertifiedJob,
  verifyDecidedBlock,
} from '../sdk/index.ts'
import { AgentError } from './errors.ts'
import {
  checkEscrow,
  DEFAULT_MIN_DEADLINE_HEIGHTS,
  DEFAULT_MIN_ESCROW_LOCK_SECONDS,
  readVaultTerms,
  type VaultTerms,
} from './escrow.ts'
import { buildRelease } from './release.ts'
import { checkSignedRequest } from './request.ts'
import { StatsMemo } from './stats-memo.ts'

export interface VaultAgentInit {
  readonly vaultDir: string
  readonly keysDir: string
  readonly passphrase: string
  /** the vault's on-chain owner: signs releases */
  readonly ownerKey: Hex32
  /** node APIs; the first is polled, the others are fallbacks for blocks and result bundles */
  readonly nodes: readonly string[]
  readonly logger: Logger
  /** Least chain-time seconds the escrow must stay locked after sealing; default 600. */
  readonly minEscrowLockSeconds?: number
  /** Least heights between the network's height and the job's deadline when sealing; default 5. */
  readonly minDeadlineHeights?: number
  /** Where decrypted results are kept for the next jobs on them; default a StatsMemo of 4 results for a minute. */
  readonly memo?: StatsMemo
}

export interface RoundReport {
  readonly released: readonly Hex32[]
  readonly refused: readonly { readonly jobId: Hex32; readonly code: string; readonly message: string }[]
  /** jobs left for the next round (result not available yet, network errors) */
  readonly pending: number
}

/**
 * Jobs one poll serves concurrently. Serving one is mostly waiting (the certifying block, the
 * escrow, the node taking the release); decryption is synchronous and runs one job at a time anyway.
 */
const RELEASES_AT_ONCE = 16
/**
 * How long the network's height, the vault's price and the chain's time, read for one job's last
 * checks, also serve the jobs sealed after it: a burst's dozens of releases read them once or twice
 * instead of three calls each. Half a second is one or two heights at the fastest pace, inside the
 * deadline margin (DEFAULT_MIN_DEADLINE_HEIGHTS), and nothing next to the escrow's lock.
 */
const SEALING_FACTS_MAX_AGE_MS = 500
/** Certifying blocks kept: a burst's jobs are certified a few dozen at a time in a few blocks. */
const BLOCKS_KEPT = 32
/** Certified bundles kept by result hash: ~4 MiB each at 32 lone stats. */
const MAX_BUNDLES = 4
/** Specs whose policy check is kept: a distinct burst has a few dozen. */
const MAX_POLICIES = 64

/** Stages in which a job has a certified result and awaits its owner's release. */
const AWAITING_RELEASE = ['certified', 'anchored'] as const

/**
 * `tcf vault serve`: the key holder's side of owner-mode decryption. It
 * releases a job's result only once the network's certificate checks out
 * against the chain's validator set, the vault's own policy admits the spec,
 * and the job's escrow is bound to the request and locked long enough to be
 * settled; then it decrypts, scores, seals to the buyer and signs. Only the
 * sealed result leaves this process.
 */
export class VaultAgent {
  readonly #init: VaultAgentInit
  readonly #clients: readonly Client[]
  readonly #log: Logger
  /** jobs this process released or refused: not tried again */
  readonly #done = new Map<Hex32, 'released' | 'refused'>()
  readonly #validatorSets = new Map<number, ValidatorSet>()
  /** certifying blocks by height (decided blocks never change; one that fails a check is dropped) */
  readonly #blocks = new Map<number, Promise<DecidedBlock>>()
  /**
   * Each kept block's hash and commit certificate, checked once under its epoch's validator set: a
   * burst's dozens of jobs in one block hashed it and checked its precommits again each. Every job
   * still has its own result certificate checked against the block.
   */
  readonly #verifiedBlocks = new WeakMap<DecidedBlock, VerifiedBlock>()
  /**
   * The last certified bundles by result hash (ciphertexts only: decrypted stats never outlive a
   * release): a burst of jobs with one circuit has one result, MiBs of lone stats, fetched once.
   */
  readonly #bundles = new Map<Hex32, ResultBundle>()
  /** exact statistics of the last results released from, read only after a job's own checks */
  readonly #memo: StatsMemo
  /** the policy check of the last specs, by their JSON as the request carries it */
  readonly #policies = new Map<string, PolicyCheck>()
  #vault: { manifest: VaultManifest; he: HeContext; secretKey: SecretKey; chain: ChainContext } | undefined
  /** the last read of the facts every sealing checks, and when it was asked for */
  #sealingFacts: { readonly askedAt: number; readonly facts: Promise<SealingFacts> } | undefined

  constructor(init: VaultAgentInit) {
    if (init.nodes.length === 0) throw new AgentError('NO_NODES', 'the agent needs at least one node')
    this.#init = init
    this.#clients = init.nodes.map((url) => new Client({ url, key: init.ownerKey }))
    this.#log = init.logger.child({ module: 'vault-agent' })
    this.#memo = init.memo ?? new StatsMemo()
  }

  get #primary(): Client {
    return this.#clients[0]!
  }

  /** Opens the vault's secret key; fails early on a wrong passphrase or a vault registered to another owner. */
  async start(): Promise<void> {
    const manifest = await readManifest(this.#init.vaultDir)
    const chain = await this.#primary.chain()
    const owner = (await chain.vaults.vault(manifest.vaultId as Hex32)).owner
    if (owner !== chain.wallet?.address.toLowerCase()) {
      throw new ClientError(
        'VAULT_NOT_OWNED',
        `vault ${manifest.vaultId} is registered to ${owner}, not to the owner key ${chain.wallet?.address}`,
      )
    }
    const he = await heContext(manifest.profile)
    const secretKey = await loadSecretKey(
      he,
      this.#init.keysDir,
      this.#init.passphrase,
      manifest.keys.publicKey,
    )
    this.#vault = { manifest, he, secretKey, chain }
    this.#log.info({ vaultId: manifest.vaultId, owner, node: this.#primary.api.url }, 'serving the vault')
  }

  async stop(): Promise<void> {
    this.#memo.clear()
    this.#vault?.secretKey.delete()
    this.#vault = undefined
    await Promise.all(this.#clients.map((c) => c.close()))
  }

  /** One poll: every job of the vault awaiting release, served in turn. */
  async runOnce(): Promise<RoundReport> {
    const vault = this.#requireStarted()
    const vaultId = vault.manifest.vaultId as Hex32
    const lists = await Promise.all(
      AWAITING_RELEASE.map((stage) => this.#primary.jobs({ vault: vaultId, stage })),
    )
    const released: Hex32[] = []
    const refused: { jobId: Hex32; code: string; message: string }[] = []
    let pending = 0
    // A job listed under both stages (it moved between the two reads) is served once.
    const todo = [...new Map(lists.flat().map((job) => [job.jobId, job])).values()].filter(
      (job) => !this.#done.has(job.jobId),
    )
    const serveOne = async (job: JobRecord) => {
      const log = this.#log.child({ jobId: job.jobId, certifiedHeight: job.certifiedHeight })
      try {
        await this.#serve(job, log)
        this.#done.set(job.jobId, 'released')
        released.push(job.jobId)
      } catch (e) {
        if (e instanceof AgentError && e.final) {
          this.#done.set(job.jobId, 'refused')
          refused.push({ jobId: job.jobId, code: e.code, message: e.message })
          log.warn({ code: e.code, reason: e.message }, 'refused to release')
        } else {
          pending++
          log.info({ code: codeOf(e), reason: errorMessage(e) }, 'not released yet; retrying')
        }
      }
    }
    // Jobs are served a few at a time: most of serving one is waiting on nodes and the chain (the
    // certifying block, the bundle, the escrow), which one after another made a burst's releases
    // queue behind each other. Decryption itself is synchronous and still runs one job at a time.
    let next = 0
    const lane = async () => {
      while (next < todo.length) await serveOne(todo[next++]!)
    }
    await Promise.all(Array.from({ length: Math.min(RELEASES_AT_ONCE, todo.length) }, lane))
    return { released, refused, pending }
  }

  /** Polls until `signal` aborts. */
  async run(signal: AbortSignal, pollMs = 1000): Promise<void> {
    while (!signal.aborted) {
      await this.runOnce().catch((e: unknown) =>
        this.#log.warn({ code: codeOf(e), reason: errorMessage(e) }, 'poll failed'),
      )
      // An abort ends the sleep early; the loop condition then ends the run.
      await sleep(pollMs, undefined, { signal }).catch(() => undefined)
    }
  }

  async #serve(job: JobRecord, log: Logger): Promise<void> {
    const vault = this.#requireStarted()
    if (!job.resultHash || job.certifiedHeight === undefined) {
      throw new AgentError(
        'RESULT_UNAVAILABLE',
        `job ${job.jobId} has no certified result in the node's record`,
      )
    }
    checkSignedRequest(vault.chain.domain, job.jobId, job.request)
    const request = job.request.request
    const expected = { jobId: job.jobId, resultHash: job.resultHash, height: job.certifiedHeight }

    const decided = await this.#block(expected.height)
    const validators = await this.#validators(decided.certificate.epoch)
    const certified = asAgentRefusal(() => {
      try {
        let verified = this.#verifiedBlocks.get(decided)
        if (verified?.validators !== validators) {
          verified = verifyDecidedBlock(decided, expected.height, validators, vault.chain.domain, job.jobId)
          this.#verifiedBlocks.set(decided, verified)
        }
        return verifyCertifiedJob(verified, expected)
      } catch (e) {
        // The job's refusal stands; the block is not kept, so another job at its height asks again.
        this.#blocks.delete(expected.height)
        throw e
      }
    })
    log.info(
      { epoch: certified.epoch, attestations: certified.certificate.attestations.length },
      'certificate verified',
    )

    const { spec, circuit, circuitId, privacy } = this.#recheckPolicy(job, vault.manifest)

    const bundle =
      this.#bundles.get(expected.resultHash) ??
      (await this.#firstAnswer('the result bundle', async (c) => {
        const record = await c.job(job.jobId).catch(() => undefined)
        return record?.resultBlob
          ? c.blob(record.resultBlob).then((b) => (b ? decodeBundle(b) : undefined))
          : undefined
      }))
    if (bundle.resultHash !== expected.resultHash) {
      throw new AgentError(
        'RESULT_MISMATCH',
        `the bundle hashes to ${bundle.resultHash}, certified ${expected.resultHash}`,
      )
    }
    if (bundle.circuitId !== circuitId || bundle.execEnvHash !== certified.certificate.execEnvHash) {
      throw new AgentError(
        'RESULT_MISMATCH',
        'the certified result is not of this spec’s circuit or environment',
      )
    }
    this.#bundles.delete(bundle.resultHash)
    this.#bundles.set(bundle.resultHash, bundle)
    if (this.#bundles.size > MAX_BUNDLES) this.#bundles.delete(this.#bundles.keys().next().value as Hex32)

    // Last, right before the result is sealed to the buyer: the escrow must still pay for it, and the
    // release must still have time to be decided (a release after the deadline fails the job, which
    // refunds the buyer, and a sealed result once gossiped cannot be taken back).
    const facts = this.#readSealingFacts()
    const { height } = await facts
    const margin = this.#init.minDeadlineHeights ?? DEFAULT_MIN_DEADLINE_HEIGHTS
    if (request.deadline < height + margin) {
      throw new AgentError(
        'ESCROW_EXPIRING',
        `job ${job.jobId}: deadline height ${request.deadline} is less than ${margin} heights after ${height}`,
      )
    }
    await checkEscrow(
      vault.chain,
      job.jobId,
      { vaultId: request.vaultId, buyer: request.buyer, minQuality: minQualityOf(spec) },
      this.#init.minEscrowLockSeconds ?? DEFAULT_MIN_ESCROW_LOCK_SECONDS,
      // The terms read are this vault's; a request naming another has its own read (and is refused).
      request.vaultId === vault.manifest.vaultId ? facts : undefined,
    )
    const sealed = buildRelease({
      request,
      jobId: job.jobId,
      certifiedHeight: expected.height,
      manifest: vault.manifest,
      spec,
      circuit,
      circuitId,
      privacy,
      bundle,
      he: vault.he,
      secretKey: vault.secretKey,
      ownerKey: this.#init.ownerKey,
      domain: vault.chain.domain,
      memo: this.#memo,
    })
    await this.#primary.release(sealed).catch((e: unknown) => {
      // Released already (e.g. before a restart): nothing left to do.
      if (e instanceof ClientError && e.status === 409) return
      throw e
    })
    log.info({ qualityScore: sealed.release.qualityScore, sealedHash: sealed.release.sealedHash }, 'released')
  }

  /**
   * The vault's policy, once more on the owner's side: a spec the owner's compiler refuses is never
   * decrypted. DEFAULT_LIMITS are the network's limits, the ones every node's block rules apply.
   * Parsing, compiling and planning are pure in the spec's JSON (the manifest and limits are this
   * process's), so a burst's jobs of one spec compile it once; a refusal is not kept.
   */
  #recheckPolicy(job: JobRecord, manifest: VaultManifest): PolicyCheck {
    const key = JSON.stringify(job.request.request.algorithm.spec)
    const kept = this.#policies.get(key)
    if (kept) return kept
    try {
      const spec = parseSpec(job.request.request.algorithm.spec)
      const circuit: Circuit = compile(spec, manifest, DEFAULT_LIMITS)
      const check = {
        spec,
        circuit,
        circuitId: circuitIdOf(circuit),
        privacy: planPrivacy(spec, circuit, manifest),
      }
      this.#policies.set(key, check)
      if (this.#policies.size > MAX_POLICIES)
        this.#policies.delete(this.#policies.keys().next().value as string)
      return check
    } catch (e) {
      if (isSandboxError(e)) throw new AgentError('POLICY_REFUSED', `${e.code}: ${e.message}`, { cause: e })
      throw e
    }
  }

  /**
   * The network's height, the vault's price and the chain's time: read together and shared by the
   * jobs sealed within SEALING_FACTS_MAX_AGE_MS of the read's start. A failed read is not kept.
   */
  #readSealingFacts(): Promise<SealingFacts> {
    const now = performance.now()
    const kept = this.#sealingFacts
    if (kept !== undefined && now - kept.askedAt < SEALING_FACTS_MAX_AGE_MS) return kept.facts
    const vault = this.#requireStarted()
    const facts = Promise.all([
      this.#primary.status(),
      readVaultTerms(vault.chain, vault.manifest.vaultId as Hex32),
    ]).then(([status, terms]) => ({ height: status.height, ...terms }))
    this.#sealingFacts = { askedAt: now, facts }
    facts.catch(() => {
      if (this.#sealingFacts?.facts === facts) this.#sealingFacts = undefined
    })
    return facts
  }

  async #validators(epoch: number): Promise<ValidatorSet> {
    let set = this.#validatorSets.get(epoch)
    if (!set) {
      set = await validatorSetAt(this.#requireStarted().chain, epoch)
      this.#validatorSets.set(epoch, set)
    }
    return set
  }

  /**
   * The block decided at `height`, fetched once for all the jobs it certifies (a burst's dozens):
   * each fetch is the whole block, its requests and certificates, read and parsed again. A block is
   * still verified for every job; one that fails is dropped from the cache by the caller.
   */
  #block(height: number): Promise<DecidedBlock> {
    let block = this.#blocks.get(height)
    if (!block) {
      block = this.#firstAnswer('the certifying block', (c) => c.block(height))
      this.#blocks.set(height, block)
      block.catch(() => this.#blocks.delete(height))
      if (this.#blocks.size > BLOCKS_KEPT) this.#blocks.delete(this.#blocks.keys().next().value as number)
    }
    return block
  }

  /** Asks each node in turn; the first defined answer wins. */
  async #firstAnswer<T>(what: string, ask: (client: Client) => Promise<T | undefined>): Promise<T> {
    for (const client of this.#clients) {
      const answer = await ask(client).catch(() => undefined)
      if (answer !== undefined) return answer
    }
    throw new AgentError('RESULT_UNAVAILABLE', `no node serves ${what}`)
  }

  #requireStarted() {
    if (!this.#vault) throw new AgentError('NOT_STARTED', 'the agent is not started')
    return this.#vault
  }
}

/** What a sealing checks last besides the job's own escrow. */
interface SealingFacts extends VaultTerms {
  /** the network's height, as the agent's node reports it */
  readonly height: number
}

/** A spec the vault's policy admits: its circuit on this vault and the noise the network charged for. */
interface PolicyCheck {
  readonly spec: AlgorithmSpec
  readonly circuit: Circuit
  readonly circuitId: Hex32
  readonly privacy: PrivacyPlan
}

/** The SDK's certificate refusal, as the agent's final refusal of the job. */
function asAgentRefusal<T>(check: () => T): T {
  try {
    return check()
  } catch (e) {
    if (e instanceof ClientError && e.code === 'CERTIFICATE_INVALID')
      throw new AgentError('CERTIFICATE_INVALID', e.message, { cause: e })
    throw e
  }
}

const codeOf = (e: unknown): string =>
  typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'INTERNAL'
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e))
