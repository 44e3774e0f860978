import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compile } from '../compiler/compile.ts'
import { planPacks } from '../compiler/pack.ts'
import { PROFILES } from '../he/profiles.ts'
import {
  REGRESSION_SPEC,
  REGRESSION_VAULT,
  regressionEvaluation,
  regressionResultHash,
} from '../testing/regression.ts'
import { BLOB_DIR, readManifest } from '../vault/manifest.ts'
import { evaluateCircuit } from './evaluate.ts'
import { Evaluator } from './evaluator.ts'

/**
 * Consensus on results rests on every node producing the same bytes. These
 * hashes were produced by this evaluator on the committed regression vault;
 * a change to node-seal, a profile or the evaluator's op order that alters
 * one byte fails here, and must bump EVALUATOR_VERSION.
 */
const PINNED_RESULT_HASH = '0x7b0e7a5b84182d08c9a1a672de03d38bf13e0d6d8f0763cd2d4bf60e5b2e600c'

const blobDir = join(REGRESSION_VAULT, BLOB_DIR)

describe('deterministic evaluation', () => {
  it('reproduces the pinned result hash in a worker thread', async () => {
    const manifest = await readManifest(REGRESSION_VAULT)
    const evaluator = new Evaluator({ workers: 1 })
    evaluator.start()
    try {
      const { bundle } = await evaluator.evaluate(compile(REGRESSION_SPEC, manifest), manifest, blobDir)
      expect(bundle.resultHash).toBe(PINNED_RESULT_HASH)
    } finally {
      await evaluator.stop()
    }
  })

  it('gives byte-identical output in another process', async () => {
    const here = await regressionResultHash()
    const script = new URL('../testing/regression-hash.ts', import.meta.url).pathname
    const there = execFileSync(process.execPath, [script], { encoding: 'utf8' }).trim()
    expect(there).toBe(here)
    expect(here).toBe(PINNED_RESULT_HASH)
  })

  it('frees every SEAL object: hundreds of evaluations leave the WASM heap bounded', async () => {
    const { circuit, ctx, keys, input: full } = await regressionEvaluation()
    // Two small stats, packed (the masks and diagonals are exercised too) and alone.
    const stats = circuit.stats.filter((s) => s.factors.length <= 2).slice(0, 2)
    const profile = PROFILES[circuit.profile]
    const packs = planPacks(profile, stats, true, 300, true, true, true, 0)
    expect(packs).toHaveLength(1)
    const lone = planPacks(profile, stats, true, 300)
    expect(lone).toHaveLength(2)
    const inputs = [packs, lone].map((p) => ({ ...full, circuit: { ...circuit, stats, packs: p } }))
    const run = (i: number) => evaluateCircuit(ctx, keys, inputs[i % 2]!)
    for (let i = 0; i < 10; i++) run(i)
    const warm = ctx.heapBytes()
    for (let i = 0; i < 200; i++) run(i)
    const grown = ctx.heapBytes() - warm
    keys.delete()
    // One leaked ciphertext per evaluation would be >= 200 * 131 KiB = 25 MiB.
    expect(grown).toBeLessThanOrEqual(4 * 2 ** 20)
  })
})
