import { mkdir, writeFile } from 'node:fs/promises'
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
  type CompileLimits,
  compile,
  type Evaluator,
  encodeBundle,
  expandedDirOf,
  expandInto,
  heContext,
  isExpanded,
  parseSpec,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { NodeError } from '../errors.ts'

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
}

export interface Execution {
  readonly attestation: ResultAttestation
  /** blob id of the encoded result bundle */
  readonly bundleId: Hex32
  readonly ms: number
}

/**
 * Runs one admitted job on this validator: makes sure it holds every blob
 * the circuit reads (fetching from peers), expands the ciphertexts into the
 * evaluation cache once, evaluates in the sandbox, keeps the result bundle
 * as a blob and signs an attestation of its hash.
 */
export class Executor {
  readonly #init: ExecutorInit
  readonly #blobDir: string

  constructor(init: ExecutorInit) {
    this.#init = init
    this.#blobDir = join(init.cacheDir, 'blobs')
  }

  async execute(jobId: Hex32, request: SignedJobRequest, manifest: VaultManifest): Promise<Execution> {
    const started = performance.now()
    const { blobs, logger } = this.#init
    const circuit = compile(parseSpec(request.request.algorithm.spec), manifest, this.#init.limits)
    const factors = new Set(circuit.stats.flatMap((s) => s.factors))
    const ciphertexts = manifest.columns.filter((c) => factors.has(c.name)).flatMap((c) => c.chunks)
    const keys = [manifest.keys.relinKeys, manifest.keys.galoisKeys]
    await blobs.ensure([...keys, ...ciphertexts])
    await this.#ingest(manifest, keys, ciphertexts)
    const { bundle, timing } = await this.#init.evaluator.evaluate(circuit, manifest, this.#blobDir)
    const bundleId = await blobs.put(encodeBundle(bundle))
    const attestation = signResultAttestation(this.#init.domain, this.#init.validatorKey, {
      jobId,
      resultHash: bundle.resultHash,
      execEnvHash: bundle.execEnvHash,
    })
    logger.info({ jobId, resultHash: bundle.resultHash, evalMs: Math.round(timing.ms) }, 'job evaluated')
    return { attestation, bundleId, ms: performance.now() - started }
  }

  /** Key material as verified blob files, ciphertexts expanded: what the sandbox's workers read. */
  async #ingest(manifest: VaultManifest, keys: Hex32[], ciphertexts: Hex32[]): Promise<void> {
    const expanded = expandedDirOf(this.#blobDir)
    await mkdir(this.#blobDir, { recursive: true })
    const ctx = await heContext(manifest.profile)
    for (const id of keys) {
      const bytes = await this.#must(id)
      await writeFile(join(this.#blobDir, id.slice(2)), bytes)
    }
    for (const id of ciphertexts) {
      if (!isExpanded(expanded, id)) expandInto(ctx, expanded, id, await this.#must(id))
    }
  }

  async #must(id: Hex32): Promise<Uint8Array> {
    const bytes = await this.#init.blobs.get(id)
    if (!bytes) throw new NodeError('BLOB_MISSING', `blob ${id} vanished from the store`)
    return bytes
  }
}
