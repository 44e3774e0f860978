import { threadId } from 'node:worker_threads'
import { blobIdOf } from '../../protocol/index.ts'
import { EvaluationError } from '../errors.ts'
import { type EvaluationKeys, loadEvaluationKeys } from '../he/keys.ts'
import { type HeContext, heContext } from '../he/seal.ts'
import { serveTasks } from '../pool/serve.ts'
import { getBlobSync } from '../vault/blob-dir.ts'
import { chunkRefs } from '../vault/chunk-refs.ts'
import { ExpandedCache } from '../vault/expanded-cache.ts'
import { encodeBundle, resultHashOf } from './bundle.ts'
import { evaluateCircuit } from './evaluate.ts'
import { DirStatCache } from './stat-cache.ts'
import type {
  EvaluateRequest,
  EvaluateResult,
  WarmRequest,
  WarmResult,
  WorkerRequest,
  WorkerResult,
} from './task.ts'

// Loading Galois keys costs hundreds of ms (8.6 MiB at ckks-8192); a worker keeps the last vault's.
let cachedKeys: { id: string; keys: EvaluationKeys } | undefined
let statCache: { dir: string; cache: DirStatCache } | undefined
/** profiles whose SEAL context this worker has built (heContext keeps them) */
const contextsBuilt = new Set<string>()

function keysFor(
  ctx: HeContext,
  profile: string,
  request: WarmRequest | EvaluateRequest,
): { keys: EvaluationKeys; loaded: boolean } {
  const keyId = `${profile}:${request.keys.relinKeys}:${request.keys.galoisKeys}`
  if (cachedKeys?.id === keyId) return { keys: cachedKeys.keys, loaded: false }
  cachedKeys?.keys.delete()
  cachedKeys = undefined
  const wire = {
    relinKeys: getBlobSync(request.blobDir, request.keys.relinKeys),
    galoisKeys: getBlobSync(request.blobDir, request.keys.galoisKeys),
  }
  cachedKeys = { id: keyId, keys: loadEvaluationKeys(ctx, wire, request.keys) }
  return { keys: cachedKeys.keys, loaded: true }
}

async function evaluate(request: EvaluateRequest): Promise<EvaluateResult> {
  const started = performance.now()
  const ctx = await heContext(request.circuit.profile)
  contextsBuilt.add(request.circuit.profile)
  const { keys, loaded } = keysFor(ctx, request.circuit.profile, request)
  const cache = new ExpandedCache(request.blobDir)
  const { galoisKeys } = keys
  const reuse = request.statCache
  if (reuse && statCache?.dir !== reuse.dir)
    statCache = { dir: reuse.dir, cache: new DirStatCache(reuse.dir, reuse) }
  const results = evaluateCircuit(ctx, keys, {
    ...(reuse && statCache ? { statCache: statCache.cache } : {}),
    circuit: request.circuit,
    columns: new Map(request.columns.map(([name, chunks]) => [name, chunkRefs(request, chunks)])),
    chunkCount: request.chunkCount,
    readBlob: (ref) => cache.readChunk(ctx, galoisKeys, ref),
    checkpoint: () => {
      const heap = ctx.heapBytes()
      if (heap > request.memoryCapBytes) {
        throw new EvaluationError(
          'MEMORY_EXCEEDED',
          `the job's SEAL heap reached ${Math.round(heap / 2 ** 20)} MiB, over its cap of ${Math.round(request.memoryCapBytes / 2 ** 20)} MiB`,
        )
      }
    },
  })
  const { circuitId, execEnvHash } = request
  const bundle = encodeBundle({ circuitId, execEnvHash, stats: results })
  return {
    bundle,
    resultHash: resultHashOf(circuitId, execEnvHash, results),
    blobId: blobIdOf(bundle),
    heapBytes: ctx.heapBytes(),
    ms: performance.now() - started,
    keysLoaded: loaded,
    worker: threadId,
  }
}

/** A first job's costs that do not depend on its spec, paid before any job (node/vault-warmer.ts). */
async function warm(request: WarmRequest): Promise<WarmResult> {
  const started = performance.now()
  const contextBuilt = !contextsBuilt.has(request.profile)
  const ctx = await heContext(request.profile)
  contextsBuilt.add(request.profile)
  const contextDone = performance.now()
  const { keys, loaded } = keysFor(ctx, request.profile, request)
  const keysDone = performance.now()
  const cache = new ExpandedCache(request.blobDir)
  for (const ref of request.chunks) cache.readChunk(ctx, keys.galoisKeys, ref)
  const done = performance.now()
  return {
    kind: 'warm',
    ms: done - started,
    contextMs: contextDone - started,
    keysMs: keysDone - contextDone,
    chunksMs: done - keysDone,
    contextBuilt,
    keysLoaded: loaded,
    worker: threadId,
  }
}

serveTasks<WorkerRequest, WorkerResult>(
  (request) => (request.kind === 'warm' ? warm(request) : evaluate(request)),
  (result) => (result.kind === 'warm' ? [] : [result.bundle.buffer as ArrayBuffer]),
)
