import { access, mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import {
  type Eip712Domain,
  type Hex32,
  POOL_EXEC_ENV,
  poolResultHash,
  type ResultAttestation,
  type SignedJobRequest,
  signResultAttestation,
} from '../../protocol/index.ts'
import {
  type AlgorithmSpec,
  type Circuit,
  type CompileLimits,
  chunkRefs,
  circuitIdOf,
  compile,
  type Evaluator,
  encodeBundle,
  expandedDirOf,
  isExpanded,
  parseSpec,
  type ResultBundle,
  resultHashOf,
  type VaultManifest,
  type WarmResult,
} from '../../sandbox/index.ts'
import { NodeError } from '../errors.ts'
import type { PoolJob } from '../pools/pool-job.ts'
import type { JobTrace } from './trace.ts'

const BUNDLE_IDS_KEPT = 1024

/** Where blobs live for the executor: the node's store, backed by peers for what it lacks. */
export interface ExecutorBlobs {
  get(id: Hex32): Promise<Uint8Array | undefined>
  /** Stores bytes (unless held already) and answers their id. */
  put(bytes: Uint8Array): Promise<Hex32>
  /** The same for bytes whose id the evaluation worker computed: not hashed again. */
  putEvaluated(encoded: Evaluated['encoded']): Promise<Hex32>
  has(id: Hex32): Promise<boolean>
  /** Fetches from peers and stores whatever of `ids` is missing locally. */
  ensure(ids: readonly Hex32[]): Promise<void>
}

export interface ExecutorInit {
  readonly blobs: ExecutorBlobs
  readonly evaluator: Evaluator
  /** the evaluation cache: key blobs as files, ciphertexts expanded beside them */
  readonly cacheDir: string
  readonly domain: Eip712Domain
  readonly validatorKey: Hex32
  readonly limits: CompileLimits
  readonly logger: Logger
  readonly trace?: JobTrace
  /** jobs on pool snapshots; absent, such a job fails here */
  readonly pools?: PoolEvaluation
}

/** What evaluating a job on a pool snapshot reads: replicated state and the snapshot's aggregate. */
export interface PoolEvaluation {
  /** the job on the snapshot its spec names (node/pools/pool-job.ts) */
  job(manifest: VaultManifest, spec: AlgorithmSpec): PoolJob
  /** the snapshot's aggregate ciphertext: the same bytes on every validator */
  aggregate(poolId: Hex32, height: number): Promise<Uint8Array>
}

export interface Execution {
  readonly attestation: ResultAttestation
  /** blob id of the encoded result bundle */
  readonly bundleId: Hex32
  readonly ms: number
}

/** Evaluations started before admission, by job; past this many the oldest is forgotten (its job evaluates again if admitted). */
const MAX_EARLY = 16
/** Results kept for repeated circuits: at most 8 bundles, ~28 MiB at 32 lone stats. */
const MAX_RESULTS = 8

/**
 * A waiting job is evaluated early only while fewer evaluations than this wait for a worker:
 * requests that pass admission here but never make it into a block (more than a vault's budget,
 * say) must not pile up work in front of admitted jobs. Past it, a waiting job is only fetched.
 */
const EARLY_QUEUE_LIMIT = 2
/** Blob ids remembered as ingested (a few tens of thousands of short strings at most). */
const MAX_INGESTED_REMEMBERED = 65_536
/** Circuits kept per vault, by spec; the oldest goes first. */
const CIRCUITS_PER_VAULT = 64

/** What warming a vault took here, by cold cost. */
export interface VaultWarmth {
  readonly fetchMs: number
  readonly ingestMs: number
  readonly contextMs: number
  readonly keysMs: number
  readonly chunksMs: number
  readonly ciphertexts: number
  /** evaluation workers readied (each keeps its own SEAL context and keys) */
  readonly workers: number
}

type Evaluated = Awaited<ReturnType<Evaluator['evaluate']>>

/** A spec's circuit on a vault and its id, computed together once. */
interface Compiled {
  readonly circuit: Circuit
  readonly circuitId: Hex32
}

/**
 * Runs one admitted job on this validator: makes sure it holds every blob
 * the circuit reads (fetching from peers), writes them where the sandbox's
 * workers read them, evaluates in the sandbox, keeps the result bundle as a
 * blob and signs an attestation of its hash.
 */
export class Executor {
  readonly #init: ExecutorInit
  readonly #blobDir: string
  readonly #early = new Map<Hex32, Promise<Evaluated | undefined>>()
  /**
   * Blobs known to be where the worker reads them (written or expanded there; nothing removes
   * them). Each job on a vault checked every one of its blobs in the store and on disk again: ~20
   * LevelDB and file lookups a job, ~10 ms of a validator's main thread in a burst.
   */
  readonly #ingested = new Set<Hex32>()
  readonly #circuits = new WeakMap<VaultManifest, Map<string, Compiled>>()
  /**
   * The last results, by vault and circuit: evaluation is deterministic and a vault immutable, so
   * a later job with the same circuit gets the same bytes without a worker, a hash or a write
   * (the stat cache would read back finished packs, MiBs of lone stats, and hash them again).
   * Budget is charged at admission, whatever this holds.
   */
  readonly #results = new Map<string, Evaluated>()
  /** The blob id each result bundle was stored under. */
  readonly #bundleIds = new WeakMap<Evaluated['bundle'], Hex32>()
  /**
   * Bundle blob ids by result hash. A repeated job evaluates to a new bundle object with the same
   * bytes, and encoding it and hashing its MiBs again was ~5% of a validator's CPU a job in a burst.
   * The result hash covers the circuit, the environment and every statistic's bytes, the whole of
   * what the encoding holds, so one result hash is one bundle. Bounded: the oldest go first.
   */
  readonly #bundleIdsByResult = new Map<Hex32, Hex32>()
  /** Stores of a result's bundle in flight, by result hash. */
  readonly #storing = new Map<Hex32, Promise<Hex32>>()

  constructor(init: ExecutorInit) {
    this.#init = init
    this.#blobDir = join(init.cacheDir, 'blobs')
  }

  /**
   * Starts a job's work as soon as its request waits here: fetch, ingestion and evaluation, once
   * per job; `execute` at admission then only waits for it. Evaluation is deterministic and its
   * result leaves this node only as the attestation `execute` signs, after admission, so nothing
   * is revealed or charged early; a request never admitted (it passed this node's admission
   * checks, its escrow included) costs the work alone.
   */
  start(
    jobId: Hex32,
    request: SignedJobRequest,
    manifest: VaultManifest,
    admitted = false,
  ): Promise<Evaluated | undefined> {
    // A pool job's evaluation is a snapshot that exists already: nothing to start early.
    if (manifest.pool) return Promise.resolve(undefined)
    let early = this.#early.get(jobId)
    if (!early) {
      const run = this.#evaluate(jobId, request, manifest, admitted)
      early = run
      this.#early.set(jobId, run)
      run.catch(() => {
        if (this.#early.get(jobId) === run) this.#early.delete(jobId)
      })
      if (this.#early.size > MAX_EARLY) this.#early.delete(this.#early.keys().next().value as Hex32)
    }
    return early
  }

  async #evaluate(
    jobId: Hex32,
    request: SignedJobRequest,
    manifest: VaultManifest,
    admitted: boolean,
  ): Promise<Evaluated | undefined> {
    const started = performance.now()
    const { circuit, circuitId } = this.#compile(request, manifest)
    const resultKey = `${manifest.vaultId}/${circuitId}`
    const known = this.#results.get(resultKey)
    if (known) {
      for (const stage of ['fetched', 'ingested', 'evaluated'] as const)
        this.#init.trace?.(jobId, stage, { ms: 0 })
      return known
    }
    const factors = new Set(circuit.stats.flatMap((s) => s.factors))
    const ciphertexts = manifest.columns.filter((c) => factors.has(c.name)).flatMap((c) => c.chunks)
    const keys = [manifest.keys.relinKeys, manifest.keys.galoisKeys]
    // Every blob already where the worker reads it: a repeated spec's job skips the store and the disk.
    const ready = [...keys, ...ciphertexts].every((id) => this.#ingested.has(id))
    if (!ready) await this.#init.blobs.ensure([...keys, ...ciphertexts])
    const fetched = performance.now()
    this.#init.trace?.(jobId, 'fetched', { ms: Math.round(fetched - started) })
    if (!ready) await this.#ingest(keys, ciphertexts)
    this.#init.trace?.(jobId, 'ingested', { ms: Math.round(performance.now() - fetched) })
    if (!admitted && this.#init.evaluator.queueDepth >= EARLY_QUEUE_LIMIT) return undefined
    const evaluated = await this.#init.evaluator.evaluate(circuit, manifest, this.#blobDir)
    this.#init.trace?.(jobId, 'evaluated', { ms: Math.round(evaluated.timing.ms) })
    this.#results.delete(resultKey)
    this.#results.set(resultKey, evaluated)
    if (this.#results.size > MAX_RESULTS) this.#results.delete(this.#results.keys().next().value as string)
    return evaluated
  }

  /**
   * Readies this node for a vault's first job before any job: every blob its jobs can read
   * fetched and ingested, then the workers' cold costs paid: SEAL's context and the keys on every
   * worker (each keeps its own; contextMs and keysMs are their sum), then expansion and pair
   * separation column by column on one (shared on disk). Each step waits until no evaluation waits
   * for a worker, so a job queues behind one step at most.
   */
  async warm(manifest: VaultManifest, idle: () => Promise<void>): Promise<VaultWarmth> {
    const started = performance.now()
    const keys = [manifest.keys.relinKeys, manifest.keys.galoisKeys]
    const ciphertexts = manifest.columns.flatMap((c) => c.chunks)
    await this.#init.blobs.ensure([...keys, ...ciphertexts])
    const fetched = performance.now()
    await this.#ingest(keys, ciphertexts)
    const ingested = performance.now()
    const worker = { contextMs: 0, keysMs: 0, chunksMs: 0 }
    await idle()
    const every = await this.#init.evaluator.warmEvery(manifest, this.#blobDir)
    for (const r of every) {
      worker.contextMs += r.contextMs
      worker.keysMs += r.keysMs
    }
    for (const column of manifest.columns) {
      await idle()
      const r: WarmResult = await this.#init.evaluator.warm(
        manifest,
        this.#blobDir,
        chunkRefs(manifest, column.chunks),
      )
      worker.contextMs += r.contextMs
      worker.keysMs += r.keysMs
      worker.chunksMs += r.chunksMs
    }
    return {
      fetchMs: fetched - started,
      ingestMs: ingested - fetched,
      ...worker,
      ciphertexts: ciphertexts.length,
      workers: every.length,
    }
  }

  async execute(jobId: Hex32, request: SignedJobRequest, manifest: VaultManifest): Promise<Execution> {
    if (manifest.pool) return this.#executePool(jobId, request, manifest)
    const started = performance.now()
    const { logger } = this.#init
    const early = await this.start(jobId, request, manifest, true)
    this.#early.delete(jobId)
    // Fetched early but not evaluated (the queue was long then): evaluated now that it is admitted.
    const evaluated = early ?? (await this.start(jobId, request, manifest, true))
    this.#early.delete(jobId)
    if (!evaluated) throw new NodeError('EVALUATION_SKIPPED', `job ${jobId} was admitted but not evaluated`)
    const { bundle, timing } = evaluated
    const bundleId = await this.#storedBundle(evaluated)
    const attestation = signResultAttestation(this.#init.domain, this.#init.validatorKey, {
      jobId,
      resultHash: bundle.resultHash,
      execEnvHash: bundle.execEnvHash,
    })
    logger.info({ jobId, resultHash: bundle.resultHash, evalMs: Math.round(timing.ms) }, 'job evaluated')
    return { attestation, bundleId, ms: performance.now() - started }
  }

  /**
   * A bundle's id, its bytes stored. Jobs evaluated side by side bring the same result back at
   * once, as new objects; each encoded, hashed and stored the MiBs again before the first put was
   * done. One store per result hash is in flight, and the others wait for it.
   */
  #storedBundle(evaluated: Evaluated): Promise<Hex32> {
    const { resultHash } = evaluated.bundle
    const inFlight = this.#storing.get(resultHash)
    if (inFlight !== undefined) return inFlight
    const stored = this.#storeBundle(evaluated).finally(() => this.#storing.delete(resultHash))
    this.#storing.set(resultHash, stored)
    return stored
  }

  async #storeBundle({ bundle, encoded }: Evaluated): Promise<Hex32> {
    const { blobs } = this.#init
    const known = this.#bundleIds.get(bundle) ?? this.#bundleIdsByResult.get(bundle.resultHash)
    // Checked, not assumed: the store may have dropped the blob since (a vault's deletion, say).
    const id = known !== undefined && (await blobs.has(known)) ? known : await blobs.putEvaluated(encoded)
    this.#bundleIds.set(bundle, id)
    this.#bundleIdsByResult.delete(bundle.resultHash)
    this.#bundleIdsByResult.set(bundle.resultHash, id)
    if (this.#bundleIdsByResult.size > BUNDLE_IDS_KEPT)
      this.#bundleIdsByResult.delete(this.#bundleIdsByResult.keys().next().value as Hex32)
    return id
  }

  /**
   * A job on a pool snapshot: the snapshot's aggregate is the evaluation (one ciphertext holding
   * every slot of the layout), bundled with the circuit it is read by. The attested result hash
   * binds it to the snapshot's payouts tree (poolResultHash), so the settled hash fixes who is paid.
   */
  async #executePool(jobId: Hex32, request: SignedJobRequest, manifest: VaultManifest): Promise<Execution> {
    const started = performance.now()
    const pools = this.#init.pools
    if (!pools)
      throw new NodeError('EVALUATION_SKIPPED', `job ${jobId} is on a pool; this node evaluates none`)
    const job = pools.job(manifest, parseSpec(request.request.algorithm.spec))
    const aggregate = await pools.aggregate(manifest.vaultId as Hex32, job.snapshot.height)
    const circuitId = circuitIdOf(job.circuit)
    const bundle: ResultBundle = {
      circuitId,
      execEnvHash: POOL_EXEC_ENV,
      stats: [aggregate],
      resultHash: resultHashOf(circuitId, POOL_EXEC_ENV, [aggregate]),
    }
    const bundleId = await this.#init.blobs.put(encodeBundle(bundle))
    const resultHash = poolResultHash(bundle.resultHash, job.payouts)
    const attestation = signResultAttestation(this.#init.domain, this.#init.validatorKey, {
      jobId,
      resultHash,
      execEnvHash: POOL_EXEC_ENV,
    })
    this.#init.trace?.(jobId, 'evaluated', { ms: Math.round(performance.now() - started) })
    this.#init.logger.info(
      { jobId, resultHash, snapshot: job.snapshot.height, contributions: job.snapshot.count },
      'pool job evaluated',
    )
    return { attestation, bundleId, ms: performance.now() - started }
  }

  /**
   * Key material and ciphertexts as verified blob files, what the sandbox's workers read; a worker
   * expands each ciphertext the first time it reads it and keeps the expanded form (the expanded
   * cache), so the node's main thread, which runs consensus, never spends seconds expanding.
   */
  async #ingest(keys: Hex32[], ciphertexts: Hex32[]): Promise<void> {
    const expanded = expandedDirOf(this.#blobDir)
    await mkdir(this.#blobDir, { recursive: true })
    for (const id of [...keys, ...ciphertexts]) {
      // Written once, never again per job: key blobs are tens of MB.
      const path = join(this.#blobDir, id.slice(2))
      if (!isExpanded(expanded, id) && !(await exists(path))) {
        const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
        await writeFile(tmp, await this.#must(id))
        await rename(tmp, path)
      }
      // A set of ids only: far below a vault's own bound on blobs; cleared past it all the same.
      if (this.#ingested.size >= MAX_INGESTED_REMEMBERED) this.#ingested.clear()
      this.#ingested.add(id)
    }
  }

  /**
   * A spec's circuit on a vault, compiled once: every job of a repeated spec compiled it again
   * (~10 ms of a validator's main thread a job in a burst). Compilation is a pure function of the
   * spec, the manifest (loaded once and kept, so keyed by object) and this node's limits; the
   * circuit is only read (sent to a worker, hashed). A spec that fails to compile is not kept.
   * Its id is kept with it: hashing the canonical circuit again was ~3 ms of every repeated job.
   */
  #compile(request: SignedJobRequest, manifest: VaultManifest): Compiled {
    const text = JSON.stringify(request.request.algorithm.spec) ?? ''
    const bySpec = this.#circuits.get(manifest) ?? new Map<string, Compiled>()
    this.#circuits.set(manifest, bySpec)
    let compiled = bySpec.get(text)
    if (!compiled) {
      const circuit = compile(parseSpec(request.request.algorithm.spec), manifest, this.#init.limits)
      compiled = { circuit, circuitId: circuitIdOf(circuit) }
      bySpec.set(text, compiled)
      if (bySpec.size > CIRCUITS_PER_VAULT) bySpec.delete(bySpec.keys().next().value as string)
    }
    return compiled
  }

  async #must(id: Hex32): Promise<Uint8Array> {
    const bytes = await this.#init.blobs.get(id)
    if (!bytes) throw new NodeError('BLOB_MISSING', `blob ${id} vanished from the store`)
    return bytes
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}
