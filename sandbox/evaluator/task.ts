import type { Hex32 } from '../../protocol/index.ts'
import type { Circuit } from '../compiler/circuit.ts'
import type { ChunkRef } from '../vault/chunk-refs.ts'
import type { DirStatCacheLimits } from './stat-cache.ts'

export interface EvaluateRequest {
  readonly kind?: undefined
  readonly circuit: Circuit
  /** circuitIdOf(circuit) and the environment's hash: what the result bundle names and its hash covers */
  readonly circuitId: Hex32
  readonly execEnvHash: Hex32
  readonly columns: ReadonlyArray<readonly [name: string, chunks: readonly Hex32[]]>
  readonly chunkCount: number
  /** the manifest's: 2 when each ciphertext holds two chunks (vault/complex-pairs.ts) */
  readonly valuesPerSlot?: 2
  /** content-addressed blob directory holding the ciphertexts and key material */
  readonly blobDir: string
  readonly keys: { readonly relinKeys: Hex32; readonly galoisKeys: Hex32 }
  /** cap on this worker's SEAL heap, bytes */
  readonly memoryCapBytes: number
  /** where accumulated stats are kept across jobs (see stat-cache.ts), and its bounds */
  readonly statCache?: { readonly dir: string } & DirStatCacheLimits
}

export interface EvaluateResult {
  readonly kind?: undefined
  /**
   * The result bundle encoded (bundle.ts), its result hash and its blob id (sha256 of these bytes),
   * all computed in the worker: the node's main thread, which runs consensus, neither copies nor
   * hashes the MiBs of a job's results.
   */
  readonly bundle: Uint8Array
  readonly resultHash: Hex32
  readonly blobId: Hex32
  readonly heapBytes: number
  readonly ms: number
  /** whether this job loaded the vault's keys (the worker held another vault's, or none) */
  readonly keysLoaded: boolean
  /** the worker thread's id */
  readonly worker: number
}

/**
 * Readies a worker for a vault's jobs, whatever their spec: SEAL's context, the vault's keys
 * loaded and kept, and these chunks expanded (pairs separated) in the expanded cache.
 */
export interface WarmRequest {
  readonly kind: 'warm'
  readonly profile: string
  readonly blobDir: string
  readonly keys: { readonly relinKeys: Hex32; readonly galoisKeys: Hex32 }
  readonly chunks: readonly ChunkRef[]
}

export interface WarmResult {
  readonly kind: 'warm'
  readonly ms: number
  /** what each cold cost took in this worker: 0 for what it had already */
  readonly contextMs: number
  readonly keysMs: number
  readonly chunksMs: number
  /** whether this task built SEAL's context / loaded the keys, or the worker had them */
  readonly contextBuilt: boolean
  readonly keysLoaded: boolean
  /** the worker thread's id */
  readonly worker: number
}

export type WorkerRequest = EvaluateRequest | WarmRequest
export type WorkerResult = EvaluateResult | WarmResult
