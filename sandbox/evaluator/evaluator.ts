import { availableParallelism } from 'node:os'
import type { Hex32 } from '../../protocol/index.ts'
import type { Circuit } from '../compiler/circuit.ts'
import { SandboxError } from '../errors.ts'
import { execEnvHash } from '../he/exec-env.ts'
import { WorkerPool } from '../pool/worker-pool.ts'
import type { ChunkRef } from '../vault/chunk-refs.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import { circuitIdOf, parseBundle, type ResultBundle } from './bundle.ts'
import { DEFAULT_STAT_CACHE_LIMITS, type DirStatCacheLimits } from './stat-cache.ts'
import type { EvaluateResult, WarmRequest, WarmResult, WorkerRequest, WorkerResult } from './task.ts'

export interface EvaluatorInit {
  /** worker threads, one SEAL instance each; defaults to every core */
  readonly workers?: number
  /** wall-clock limit per job */
  readonly deadlineMs?: number
  /** SEAL heap cap per job */
  readonly memoryCapBytes?: number
  /**
   * Keep accumulated stats in this directory and reuse them in later jobs
   * over the same ciphertexts (bounded on disk and in each worker's memory);
   * results are byte-identical with or without it.
   */
  readonly statCache?: { readonly dir: string } & Partial<DirStatCacheLimits>
}

/** A job's result: the bundle, its stats views into the encoded bytes. */
export interface Evaluation {
  readonly bundle: ResultBundle
  /** the bundle's bytes as stored and served, and their blob id (sha256), from the worker that encoded them */
  readonly encoded: { readonly id: Hex32; readonly bytes: Uint8Array }
  readonly timing: JobTiming
}

export interface JobTiming {
  readonly ms: number
  readonly heapBytes: number
  /** whether the job's worker had to load the vault's keys (it was not warmed for this vault) */
  readonly keysLoaded: boolean
}

/**
 * Evaluates compiled circuits over vault ciphertexts in a pool of worker
 * threads. A job that overruns its deadline or memory cap, or whose worker
 * dies, rejects with an EvaluationError; the evaluator keeps serving.
 */
export class Evaluator {
  readonly #pool: WorkerPool<WorkerRequest, WorkerResult>
  readonly #deadlineMs: number
  readonly #memoryCapBytes: number
  readonly #statCache: ({ readonly dir: string } & DirStatCacheLimits) | undefined

  constructor(init: EvaluatorInit = {}) {
    this.#deadlineMs = init.deadlineMs ?? 10 * 60_000
    this.#memoryCapBytes = init.memoryCapBytes ?? 2 * 1024 ** 3
    this.#statCache = init.statCache && { ...DEFAULT_STAT_CACHE_LIMITS, ...init.statCache }
    this.#pool = new WorkerPool({
      script: new URL('./worker.ts', import.meta.url),
      size: Math.max(1, init.workers ?? availableParallelism()),
      // The JS side of a job is small; SEAL's heap is capped separately.
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    })
  }

  start(): void {
    this.#pool.start()
  }

  stop(): Promise<void> {
    return this.#pool.stop()
  }

  get queueDepth(): number {
    return this.#pool.queueDepth
  }

  async evaluate(
    circuit: Circuit,
    manifest: VaultManifest,
    blobDir: string,
    limits: { deadlineMs?: number } = {},
  ): Promise<Evaluation> {
    const needed = new Set(circuit.stats.flatMap((s) => s.factors))
    const columns = manifest.columns
      .filter((c) => needed.has(c.name))
      .map((c) => [c.name, c.chunks as Hex32[]] as const)
    const circuitId = circuitIdOf(circuit)
    const envHash = await execEnvHash(circuit.profile)
    const result = await this.#run(
      {
        circuit,
        circuitId,
        execEnvHash: envHash,
        columns,
        chunkCount: manifest.chunkCount,
        ...(manifest.valuesPerSlot ? { valuesPerSlot: manifest.valuesPerSlot } : {}),
        blobDir,
        keys: { relinKeys: manifest.keys.relinKeys, galoisKeys: manifest.keys.galoisKeys },
        memoryCapBytes: this.#memoryCapBytes,
        ...(this.#statCache ? { statCache: this.#statCache } : {}),
      },
      { deadlineMs: limits.deadlineMs ?? this.#deadlineMs },
    )
    const bundle: ResultBundle = { ...parseBundle(result.bundle), resultHash: result.resultHash }
    return {
      bundle,
      encoded: { id: result.blobId, bytes: result.bundle },
      timing: { ms: result.ms, heapBytes: result.heapBytes, keysLoaded: result.keysLoaded },
    }
  }

  /**
   * Readies a worker for jobs on a vault: SEAL's context, the vault's keys and `chunks` expanded.
   * Queued like a job, so the caller sends a vault in small pieces and only while no job waits.
   */
  async warm(
    manifest: Pick<VaultManifest, 'profile' | 'keys'>,
    blobDir: string,
    chunks: readonly ChunkRef[],
  ): Promise<WarmResult> {
    return warmResultOf(
      await this.#pool.run(warmRequest(manifest, blobDir, chunks), { deadlineMs: this.#deadlineMs }),
    )
  }

  /**
   * Readies every worker for jobs on a vault: SEAL's context and the vault's keys, which each
   * worker keeps for itself (a job lands on any worker). Each worker runs it after its current
   * task, before queued ones; a worker spawned later to replace one runs it too. Expanded chunks
   * are shared on disk: `warm` expands them once.
   */
  async warmEvery(manifest: Pick<VaultManifest, 'profile' | 'keys'>, blobDir: string): Promise<WarmResult[]> {
    const results = await this.#pool.broadcast(warmRequest(manifest, blobDir, []), {
      deadlineMs: this.#deadlineMs,
      replay: true,
    })
    return results.map(warmResultOf)
  }

  async #run(request: WorkerRequest, options: { deadlineMs: number }): Promise<EvaluateResult> {
    const result = await this.#pool.run(request, options)
    if (result.kind === 'warm')
      throw new SandboxError('WORKER_CRASHED', 'an evaluation got a warm result back')
    return result
  }
}

function warmRequest(
  manifest: Pick<VaultManifest, 'profile' | 'keys'>,
  blobDir: string,
  chunks: readonly ChunkRef[],
): WarmRequest {
  const { relinKeys, galoisKeys } = manifest.keys
  return { kind: 'warm', profile: manifest.profile, blobDir, keys: { relinKeys, galoisKeys }, chunks }
}

function warmResultOf(result: WorkerResult): WarmResult {
  if (result.kind !== 'warm') throw new SandboxError('WORKER_CRASHED', 'a warm task got an evaluation back')
  return result
}
