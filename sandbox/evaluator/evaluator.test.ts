import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobIdOf } from '../../protocol/index.ts'
import { compile } from '../compiler/compile.ts'
import { heContext } from '../he/seal.ts'
import { loadCiphertext, wireBytes } from '../he/serialize.ts'
import { parseSpec } from '../spec/parse.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from '../testing/regression.ts'
import { getBlobSync, putBlob } from '../vault/blob-dir.ts'
import { chunkRefs } from '../vault/chunk-refs.ts'
import { expandedDirOf } from '../vault/expanded-cache.ts'
import { BLOB_DIR, readManifest, type VaultManifest } from '../vault/manifest.ts'
import { circuitIdOf, decodeBundle, resultHashOf } from './bundle.ts'
import { Evaluator } from './evaluator.ts'

const blobDir = join(REGRESSION_VAULT, BLOB_DIR)

describe('Evaluator limits', () => {
  let manifest: VaultManifest
  let evaluator: Evaluator
  beforeAll(async () => {
    manifest = await readManifest(REGRESSION_VAULT)
    evaluator = new Evaluator({ workers: 1 })
    evaluator.start()
  })
  afterAll(() => evaluator.stop())

  const circuit = () => compile(REGRESSION_SPEC, manifest)
  const healthy = async () => {
    const { bundle } = await evaluator.evaluate(circuit(), manifest, blobDir)
    expect(bundle.stats).toHaveLength(circuit().packs.length)
  }

  it('hands back the bundle encoded and hashed in its worker: the bytes a receiver decodes to the same result', async () => {
    const { bundle, encoded } = await evaluator.evaluate(circuit(), manifest, blobDir)
    expect(encoded.id).toBe(blobIdOf(encoded.bytes))
    // A receiver recomputes the result hash from the bytes: the worker's must be that one.
    const received = decodeBundle(encoded.bytes)
    expect(received.resultHash).toBe(bundle.resultHash)
    expect(received).toEqual({ ...bundle, stats: bundle.stats.map((s) => new Uint8Array(s)) })
    expect(received.resultHash).toBe(resultHashOf(circuitIdOf(circuit()), bundle.execEnvHash, received.stats))
  })

  it('ends a job past its deadline with DEADLINE_EXCEEDED and keeps serving', async () => {
    await expect(evaluator.evaluate(circuit(), manifest, blobDir, { deadlineMs: 5 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    })
    await healthy()
  })

  it('ends a job over its memory cap with MEMORY_EXCEEDED and keeps serving', async () => {
    const tight = new Evaluator({ workers: 1, memoryCapBytes: 8 * 2 ** 20 })
    tight.start()
    try {
      await expect(tight.evaluate(circuit(), manifest, blobDir)).rejects.toMatchObject({
        code: 'MEMORY_EXCEEDED',
      })
      // The worker was replaced; the pool still answers (and still enforces the cap).
      await expect(tight.evaluate(circuit(), manifest, blobDir)).rejects.toMatchObject({
        code: 'MEMORY_EXCEEDED',
      })
    } finally {
      await tight.stop()
    }
    await healthy()
  })

  it('reports a missing blob as BLOB_MISSING', async () => {
    const broken = {
      ...manifest,
      columns: manifest.columns.map((c) => ({
        ...c,
        chunks: c.chunks.map(() => `0x${'00'.repeat(32)}` as const),
      })),
    }
    await expect(evaluator.evaluate(circuit(), broken, blobDir)).rejects.toMatchObject({
      code: 'BLOB_MISSING',
    })
    await healthy()
  })

  it('refuses ciphertexts that cancel into a transparent result', async () => {
    // A malicious seller uploads chunk 1 = -(chunk 0): their sum would be
    // a transparent ciphertext, readable without the key.
    const dir = await mkdtemp(join(tmpdir(), 'tcf-transparent-'))
    try {
      await cp(blobDir, dir, { recursive: true })
      const ctx = await heContext(manifest.profile)
      const column = manifest.columns.find((c) => c.name === 'y')!
      const ct = loadCiphertext(ctx, getBlobSync(blobDir, column.chunks[0]!), 'y')
      ctx.evaluator.negateInplace(ct)
      const negated = await putBlob(dir, wireBytes(ctx.seal, ct))
      ct.delete()
      const forged: VaultManifest = {
        ...manifest,
        chunkCount: 2,
        columns: manifest.columns.map((c) => ({
          ...c,
          chunks: [c.chunks[0]!, c.name === 'y' ? negated : c.chunks[0]!],
        })),
      }
      const sumY = compile(parseSpec({ version: 1, outputs: { s: { op: 'mean', of: 'y' } } }), {
        ...forged,
        policy: { ...forged.policy, allowedOps: ['mean'] },
      })
      await expect(evaluator.evaluate(sumY, forged, dir)).rejects.toMatchObject({
        code: 'TRANSPARENT_RESULT',
      })
      await healthy()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('Evaluator warm', () => {
  let manifest: VaultManifest
  let evaluator: Evaluator
  const dirs: string[] = []
  const freshCopy = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tcf-warm-'))
    dirs.push(dir)
    await cp(blobDir, join(dir, 'blobs'), { recursive: true })
    return join(dir, 'blobs')
  }
  beforeAll(async () => {
    manifest = await readManifest(REGRESSION_VAULT)
    evaluator = new Evaluator({ workers: 1 })
    evaluator.start()
  })
  afterAll(async () => {
    await evaluator.stop()
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('expands every chunk before any job, and a job on the warmed vault gives the cold bytes', async () => {
    const circuit = compile(REGRESSION_SPEC, manifest)
    const cold = await evaluator.evaluate(circuit, manifest, await freshCopy())
    const warmDir = await freshCopy()
    const refs = manifest.columns.flatMap((c) => chunkRefs(manifest, c.chunks))
    const warmed = await evaluator.warm(manifest, warmDir, refs)
    expect(warmed.kind).toBe('warm')
    // Each chunk is kept in its expanded form (a pair's halves apart), so a job reads without expanding.
    const expanded = await readdir(expandedDirOf(warmDir))
    for (const ref of refs) expect(expanded).toContain(ref.slice(2).replace('#', '.'))
    const hot = await evaluator.evaluate(circuit, manifest, warmDir)
    expect(hot.bundle.resultHash).toBe(cold.bundle.resultHash)
    expect(hot.bundle.stats).toEqual(cold.bundle.stats)
  })

  it('reports a chunk it cannot find as BLOB_MISSING', async () => {
    await expect(evaluator.warm(manifest, await freshCopy(), [`0x${'00'.repeat(32)}`])).rejects.toMatchObject(
      { code: 'BLOB_MISSING' },
    )
  })
})
