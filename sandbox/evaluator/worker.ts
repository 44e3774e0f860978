import { EvaluationError } from '../errors.ts'
import { type EvaluationKeys, loadEvaluationKeys } from '../he/keys.ts'
import { heContext } from '../he/seal.ts'
import { serveTasks } from '../pool/serve.ts'
import { getBlobSync } from '../vault/blob-dir.ts'
import { chunkRefs } from '../vault/chunk-refs.ts'
import { ExpandedCache } from '../vault/expanded-cache.ts'
import { evaluateCircuit } from './evaluate.ts'
import { DirStatCache } from './stat-cache.ts'
import type { EvaluateRequest, EvaluateResult } from './task.ts'

// Loading Galois keys costs tens of ms; a worker keeps the last vault's.
let cachedKeys: { id: string; keys: EvaluationKeys } | undefined
let statCache: { dir: string; cache: DirStatCache } | undefined

serveTasks<EvaluateRequest, EvaluateResult>(
  async (request) => {
    const started = performance.now()
    const ctx = await heContext(request.circuit.profile)
    const keyId = `${request.circuit.profile}:${request.keys.relinKeys}:${request.keys.galoisKeys}`
    if (cachedKeys?.id !== keyId) {
      cachedKeys?.keys.delete()
      cachedKeys = undefined
      const wire = {
        relinKeys: getBlobSync(request.blobDir, request.keys.relinKeys),
        galoisKeys: getBlobSync(request.blobDir, request.keys.galoisKeys),
      }
      cachedKeys = { id: keyId, keys: loadEvaluationKeys(ctx, wire, request.keys) }
    }
    const cache = new ExpandedCache(request.blobDir)
    const { galoisKeys } = cachedKeys.keys
    const reuse = request.statCache
    if (reuse && statCache?.dir !== reuse.dir)
      statCache = { dir: reuse.dir, cache: new DirStatCache(reuse.dir, reuse) }
    const results = evaluateCircuit(ctx, cachedKeys.keys, {
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
    return { stats: results, heapBytes: ctx.heapBytes(), ms: performance.now() - started }
  },
  ({ stats }) => stats.map((s) => s.buffer as ArrayBuffer),
)
