import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Circuit } from '../compiler/circuit.ts'
import { compile } from '../compiler/compile.ts'
import { EVALUATOR_VERSION } from '../he/exec-env.ts'
import { parseSpec } from '../spec/parse.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT, regressionEvaluation } from '../testing/regression.ts'
import { BLOB_DIR, readManifest } from '../vault/manifest.ts'
import { evaluateCircuit, statKeysOf } from './evaluate.ts'
import { Evaluator } from './evaluator.ts'
import { DirStatCache, packKey } from './stat-cache.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tcf-stat-cache-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('the accumulated-stat cache', () => {
  it('gives byte-identical results cached and uncached, and reuses stats across specs', async () => {
    // Packed, as a circuit of more than MAX_LONE_RESULTS stats is: packs, stats made ready and stats cached.
    const { manifest, circuit, ctx, keys, input } = await regressionEvaluation({ maxLoneResults: 0 })
    try {
      const uncached = evaluateCircuit(ctx, keys, input)
      const cache = new DirStatCache(join(dir, 'inproc'))
      const first = evaluateCircuit(ctx, keys, { ...input, statCache: cache })
      // Every pack, every packed stat made ready for its masks, and every stat: all missing at first.
      expect(packedStats(circuit).length).toBeGreaterThan(1)
      const firstMisses = circuit.packs.length + packedStats(circuit).length + circuit.stats.length
      expect(cache).toMatchObject({ hits: 0, misses: firstMisses })
      // The same statistics again: every pack is read back finished, no stat is touched.
      const second = evaluateCircuit(ctx, keys, { ...input, statCache: cache })
      expect(cache.hits).toBe(circuit.packs.length)
      expect(first).toEqual(uncached)
      expect(second).toEqual(uncached)
      // A worker transfers its results' buffers to the node: what the cache holds must survive that.
      const third = evaluateCircuit(ctx, keys, { ...input, statCache: cache })
      structuredClone(third, { transfer: third.map((r) => r.buffer as ArrayBuffer) })
      const hitsBefore = cache.hits
      expect(evaluateCircuit(ctx, keys, { ...input, statCache: cache })).toEqual(uncached)
      expect(cache.hits - hitsBefore).toBe(circuit.packs.length)
      // A fresh process's view (disk only) gives the same bytes.
      const cold = new DirStatCache(join(dir, 'inproc'))
      expect(evaluateCircuit(ctx, keys, { ...input, statCache: cold })).toEqual(uncached)
      expect(cold.misses).toBe(0)
      // Finished packs gone (say, evicted), their stats made ready kept: the packs are finished again from
      // those alone, and no packed stat's accumulator is read.
      const readyOnly = new DirStatCache(join(dir, 'ready-only'))
      evaluateCircuit(ctx, keys, { ...input, statCache: readyOnly })
      const packFiles = new Set(
        circuit.packs.map((pack) =>
          packKey(
            EVALUATOR_VERSION,
            pack,
            pack.stats.map((i) => statKeyOf(circuit, input.columns, i)),
          ),
        ),
      )
      for (const file of packFiles) await rm(join(dir, 'ready-only', file))
      const fromReady = new DirStatCache(join(dir, 'ready-only'))
      expect(evaluateCircuit(ctx, keys, { ...input, statCache: fromReady })).toEqual(uncached)
      const alone = circuit.stats.length - packedStats(circuit).length
      expect(fromReady).toMatchObject({ hits: packedStats(circuit).length + alone, misses: packFiles.size })
      // Finished packs and ready stats gone: the stats are read back and the packs finished again.
      const statsOnly = new DirStatCache(join(dir, 'stats-only'))
      evaluateCircuit(ctx, keys, { ...input, statCache: statsOnly })
      for (const file of await readdir(join(dir, 'stats-only'))) {
        const isPack = !circuit.stats.some((_, i) => file === statKeyOf(circuit, input.columns, i))
        if (isPack) await rm(join(dir, 'stats-only', file))
      }
      const packsAgain = new DirStatCache(join(dir, 'stats-only'))
      expect(evaluateCircuit(ctx, keys, { ...input, statCache: packsAgain })).toEqual(uncached)
      expect(packsAgain).toMatchObject({
        hits: circuit.stats.length,
        misses: circuit.packs.length + packedStats(circuit).length,
      })
      // Another spec over the same vault reuses the stats it shares.
      const other = compile(parseSpec({ version: 1, outputs: { m: { op: 'mean', of: 'x' } } }), manifest)
      const before = cache.hits
      const reused = evaluateCircuit(ctx, keys, { ...input, circuit: other, statCache: cache })
      expect(cache.hits - before).toBe(other.stats.length)
      // A corrupt finished pack is a miss: recomputed, never returned as a result.
      const corrupt = new DirStatCache(join(dir, 'corrupt'))
      evaluateCircuit(ctx, keys, { ...input, statCache: corrupt })
      for (const file of await readdir(join(dir, 'corrupt')))
        await writeFile(join(dir, 'corrupt', file), new Uint8Array(100).fill(7))
      expect(
        evaluateCircuit(ctx, keys, { ...input, statCache: new DirStatCache(join(dir, 'corrupt')) }),
      ).toEqual(uncached)
      expect(reused).toEqual(evaluateCircuit(ctx, keys, { ...input, circuit: other }))
    } finally {
      keys.delete()
    }
  })

  it('stays within its disk and memory bounds', async () => {
    const cacheDir = join(dir, 'bounded')
    const cache = new DirStatCache(cacheDir, { maxDiskBytes: 2500, maxMemoryBytes: 2500 })
    for (let i = 0; i < 10; i++) cache.write(`k${i}`, new Uint8Array(1000).fill(i))
    const files = await readdir(cacheDir)
    const total = (await Promise.all(files.map((f) => stat(join(cacheDir, f))))).reduce(
      (a, s) => a + s.size,
      0,
    )
    expect(total).toBeLessThanOrEqual(2500)
    expect(files).toContain('k9')
    expect(cache.read('k0')).toBeUndefined()
    expect(cache.read('k9')?.[0]).toBe(9)
  })

  it('serves a worker pool: the pinned result either way', async () => {
    const manifest = await readManifest(REGRESSION_VAULT)
    const blobDir = join(REGRESSION_VAULT, BLOB_DIR)
    const plain = new Evaluator({ workers: 1 })
    const cached = new Evaluator({ workers: 1, statCache: { dir: join(dir, 'pool') } })
    plain.start()
    cached.start()
    try {
      const circuit = compile(REGRESSION_SPEC, manifest)
      const expected = (await plain.evaluate(circuit, manifest, blobDir)).bundle.resultHash
      for (let i = 0; i < 2; i++) {
        expect((await cached.evaluate(circuit, manifest, blobDir)).bundle.resultHash).toBe(expected)
      }
      expect((await readdir(join(dir, 'pool'))).length).toBe(
        circuit.stats.length + circuit.packs.length + packedStats(circuit).length,
      )
    } finally {
      await Promise.all([plain.stop(), cached.stop()])
    }
  })
})

function statKeyOf(circuit: Circuit, columns: ReadonlyMap<string, readonly string[]>, i: number): string {
  return statKeysOf(circuit, (f) => columns.get(f) ?? [])[i]!
}

/** Stats that share a pack with others: each is also cached made ready for its pack's masks. */
function packedStats(circuit: Circuit): number[] {
  return circuit.packs.flatMap((pack) => (pack.classes > 1 ? pack.stats : []))
}
