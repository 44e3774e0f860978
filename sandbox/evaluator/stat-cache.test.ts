import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compile } from '../compiler/compile.ts'
import { parseSpec } from '../spec/parse.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT, regressionEvaluation } from '../testing/regression.ts'
import { BLOB_DIR, readManifest } from '../vault/manifest.ts'
import { evaluateCircuit } from './evaluate.ts'
import { Evaluator } from './evaluator.ts'
import { DirStatCache } from './stat-cache.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tcf-stat-cache-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('the accumulated-stat cache', () => {
  it('gives byte-identical results cached and uncached, and reuses stats across specs', async () => {
    const { manifest, circuit, ctx, keys, input } = await regressionEvaluation()
    try {
      const uncached = evaluateCircuit(ctx, keys, input)
      const cache = new DirStatCache(join(dir, 'inproc'))
      const first = evaluateCircuit(ctx, keys, { ...input, statCache: cache })
      expect(cache).toMatchObject({ hits: 0, misses: circuit.stats.length })
      const second = evaluateCircuit(ctx, keys, { ...input, statCache: cache })
      expect(cache.hits).toBe(circuit.stats.length)
      expect(first).toEqual(uncached)
      expect(second).toEqual(uncached)
      // A fresh process's view (disk only) gives the same bytes.
      const cold = new DirStatCache(join(dir, 'inproc'))
      expect(evaluateCircuit(ctx, keys, { ...input, statCache: cold })).toEqual(uncached)
      expect(cold.misses).toBe(0)
      // Another spec over the same vault reuses the stats it shares.
      const other = compile(parseSpec({ version: 1, outputs: { m: { op: 'mean', of: 'x' } } }), manifest)
      const before = cache.hits
      const reused = evaluateCircuit(ctx, keys, { ...input, circuit: other, statCache: cache })
      expect(cache.hits - before).toBe(other.stats.length)
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
      expect((await readdir(join(dir, 'pool'))).length).toBe(circuit.stats.length)
    } finally {
      await Promise.all([plain.stop(), cached.stop()])
    }
  })
})
