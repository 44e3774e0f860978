import { access, mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import {
  type Eip712Domain,
  type Hex32,
  type ResultAttestation,
  type SignedJobRequest,
  signResultAttestation,
} from '../../protocol/index.ts'
import {
  type Circuit,
  type CompileLimits,
  compile,
  type Evaluator,
  encodeBundle,
  expandedDirOf,
  isExpanded,
  parseSpec,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { NodeError } from '../errors.ts'
import type { JobTrace } from './trace.ts'

/** Where blobs live for the executor: the node's store, backed by peers for what it lacks. */
export interface ExecutorBlobs {
  get(id: Hex32): Promise<Uint8Array | undefined>
  put(bytes: Uint8Array): Promise<Hex32>
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
}

export interface Execution {
  readonly attestation: ResultAttestation
  /** blob id of the encoded result bundle */
  readonly bundleId: Hex32
  readonly ms: number
}

/** Jobs whose preparation is remembered; a prepared job never admitted is forgotten past this. */
const MAX_PREPARED = 256

/**
 * Runs one admitted job on this validator: makes sure it holds every blob
 * the circuit reads (fetching from peers), expands the ciphertexts into the
 * evaluation cache once, evaluates in the sandbox, keeps the result bundle
 * as a blob and signs an attestation of its hash.
 */
export class Executor {
  readonly #init: ExecutorInit
  readonly #blobDir: string
  readonly #prepared = new Map<Hex32, Promise<Circuit>>()

  constructor(init: ExecutorInit) {
    this.#init = init
    this.#blobDir = join(init.cacheDir, 'blobs')
  }

  /**
   * Fetches and ingests what the job reads, once per job: called as soon as a request waits here,
   * so admission finds its blobs ready, and again by `execute`, which then only waits for it.
   */
  prepare(jobId: Hex32, request: SignedJobRequest, manifest: VaultManifest): Promise<Circuit> {
    let prepared = this.#prepared.get(jobId)
    if (!prepared) {
      prepared = this.#prepare(jobId, request, manifest)
      this.#prepared.set(jobId, prepared)
      prepared.catch(() => this.#prepared.delete(jobId))
      if (this.#prepared.size > MAX_PREPARED)
        this.#prepared.delete(this.#prepared.keys().next().value as Hex32)
    }
    return prepared
  }

  async #prepare(jobId: Hex32, request: SignedJobRequest, manifest: VaultManifest): Promise<Circuit> {
    const started = performance.now()
    const circuit = compile(parseSpec(request.request.algorithm.spec), manifest, this.#init.limits)
    const factors = new Set(circuit.stats.flatMap((s) => s.factors))
    const ciphertexts = manifest.columns.filter((c) => factors.has(c.name)).flatMap((c) => c.chunks)
    const keys = [manifest.keys.relinKeys, manifest.keys.galoisKeys]
    await this.#init.blobs.ensure([...keys, ...ciphertexts])
    const fetched = performance.now()
    this.#init.trace?.(jobId, 'fetched', { ms: Math.round(fetched - started) })
    await this.#ingest(keys, ciphertexts)
    this.#init.trace?.(jobId, 'ingested', { ms: Math.round(performance.now() - fetched) })
    return circuit
  }

  async execute(jobId: Hex32, request: SignedJobRequest, manifest: VaultManifest): Promise<Execution> {
    const started = performance.now()
    const { blobs, logger } = this.#init
    const circuit = await this.prepare(jobId, request, manifest)
    this.#prepared.delete(jobId)
    const { bundle, timing } = await this.#init.evaluator.evaluate(circuit, manifest, this.#blobDir)
    this.#init.trace?.(jobId, 'evaluated', { ms: Math.round(timing.ms) })
    const bundleId = await blobs.put(encodeBundle(bundle))
    const attestation = signResultAttestation(this.#init.domain, this.#init.validatorKey, {
      jobId,
      resultHash: bundle.resultHash,
      execEnvHash: bundle.execEnvHash,
    })
    logger.info({ jobId, resultHash: bundle.resultHash, evalMs: Math.round(timing.ms) }, 'job evaluated')
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
      if (isExpanded(expanded, id) || (await exists(path))) continue
      const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
      await writeFile(tmp, await this.#must(id))
      await rename(tmp, path)
    }
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
