import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compile } from '../compiler/compile.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT, regressionResultHash } from '../testing/regression.ts'
import { BLOB_DIR, readManifest, type VaultManifest } from '../vault/manifest.ts'
import { Evaluator } from './evaluator.ts'

const blobDir = join(REGRESSION_VAULT, BLOB_DIR)

describe('Evaluator.warmEvery', () => {
  let manifest: VaultManifest
  let evaluator: Evaluator
  let pinned: string
  beforeAll(async () => {
    manifest = await readManifest(REGRESSION_VAULT)
    pinned = await regressionResultHash()
    evaluator = new Evaluator({ workers: 2 })
    evaluator.start()
  })
  afterAll(() => evaluator.stop())

  /** Two jobs at once: with two workers free, one lands on each. */
  const jobOnEach = async () => {
    const jobs = await Promise.all(
      [0, 1].map(() => evaluator.evaluate(compile(REGRESSION_SPEC, manifest), manifest, blobDir)),
    )
    return jobs
  }

  it('readies every worker once: each builds its context and loads the keys, then holds them', async () => {
    const first = await evaluator.warmEvery(manifest, blobDir)
    expect(first).toHaveLength(2)
    expect(new Set(first.map((r) => r.worker)).size).toBe(2)
    for (const r of first) expect(r).toMatchObject({ contextBuilt: true, keysLoaded: true })
    const again = await evaluator.warmEvery(manifest, blobDir)
    expect(new Set(again.map((r) => r.worker))).toEqual(new Set(first.map((r) => r.worker)))
    for (const r of again) expect(r).toMatchObject({ contextBuilt: false, keysLoaded: false })
  })

  it('a job on either worker then loads no keys and gives the pinned result', async () => {
    const jobs = await jobOnEach()
    for (const { bundle, timing } of jobs) {
      expect(timing.keysLoaded).toBe(false)
      expect(bundle.resultHash).toBe(pinned)
    }
  })

  it('waits for a busy worker to finish its job, then warms it', async () => {
    const busy = jobOnEach()
    const warmed = await evaluator.warmEvery(manifest, blobDir)
    expect(warmed).toHaveLength(2)
    for (const { bundle } of await busy) expect(bundle.resultHash).toBe(pinned)
  })

  it('replays the last warm on a worker spawned to replace one that ran past its deadline', async () => {
    await expect(
      evaluator.evaluate(compile(REGRESSION_SPEC, manifest), manifest, blobDir, { deadlineMs: 5 }),
    ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' })
    // The replacement runs the replayed warm before any queued job, so neither job loads keys.
    const jobs = await jobOnEach()
    for (const { bundle, timing } of jobs) {
      expect(timing.keysLoaded).toBe(false)
      expect(bundle.resultHash).toBe(pinned)
    }
  })

  it('holds each broadcast run to the deadline: a warm past it fails typed, is not replayed again, and the pool serves on', async () => {
    const tight = new Evaluator({ workers: 2, deadlineMs: 5 })
    tight.start()
    try {
      await expect(tight.warmEvery(manifest, blobDir)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' })
      // Each replacement's replayed warm also runs past 5 ms and is dropped; then jobs are served.
      const { bundle } = await tight.evaluate(compile(REGRESSION_SPEC, manifest), manifest, blobDir, {
        deadlineMs: 10 * 60_000,
      })
      expect(bundle.resultHash).toBe(pinned)
    } finally {
      await tight.stop()
    }
  })
})
