import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  addressOfPrivateKey,
  blobIdOf,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  type JobRequest,
  jobIdOf,
  signJobRequest,
  specHash,
} from '../../protocol/index.ts'
import {
  BLOB_DIR,
  chunkRefs,
  DEFAULT_LIMITS,
  Evaluator,
  encodeBundle,
  readManifest,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT, regressionResultHash } from '../../sandbox/testing/regression.ts'
import { createNodeStore, type NodeStore } from '../storage/index.ts'
import { Executor, type ExecutorInit } from './executor.ts'
import type { TraceMark } from './trace.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const buyerKey = generatePrivateKey()
const spec = {
  version: 1,
  outputs: {
    m: { op: 'mean', of: 'x' },
    c: { op: 'correlation', of: ['x', 'y'] },
  },
}

let dir: string
let store: NodeStore
let manifest: VaultManifest
const evaluator = new Evaluator({ workers: 1 })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tcf-executor-'))
  store = createNodeStore({ dir: join(dir, 'store') })
  await store.open()
  manifest = await readManifest(REGRESSION_VAULT)
  // The vault's blobs as a node holds them: in its store, verified by hash on the way in.
  const blobDir = join(REGRESSION_VAULT, BLOB_DIR)
  for (const name of await readdir(blobDir)) {
    const bytes = new Uint8Array(await readFile(join(blobDir, name)))
    await store.blobs.put(blobIdOf(bytes), bytes)
  }
  evaluator.start()
})
afterAll(async () => {
  await evaluator.stop()
  await store.close()
  await rm(dir, { recursive: true, force: true })
})

function executor(
  home: string,
  marks: TraceMark[],
  reads: Pick<ExecutorInit['blobs'], 'get' | 'ensure'> = {
    get: (id) => store.blobs.get(id),
    ensure: async () => {},
  },
  has: (id: Hex32) => Promise<boolean> = (id) => store.blobs.has(id),
): Executor {
  return new Executor({
    blobs: {
      ...reads,
      put: async (bytes) => {
        const id = blobIdOf(bytes)
        await store.blobs.put(id, bytes)
        return id
      },
      // Through the store's checked put: the worker's id must be the bytes' sha256.
      putEvaluated: async ({ id, bytes }) => {
        await store.blobs.put(id, bytes)
        return id
      },
      has,
    },
    evaluator,
    cacheDir: join(dir, home),
    domain,
    validatorKey: generatePrivateKey(),
    limits: DEFAULT_LIMITS,
    logger: pino({ level: 'silent' }),
    trace: (_, mark) => void marks.push(mark),
  })
}

function signed(s: unknown = spec) {
  const request: JobRequest = {
    version: 1,
    vaultId: manifest.vaultId as Hex32,
    algorithm: { specHash: specHash(s), spec: s as never },
    buyer: addressOfPrivateKey(buyerKey),
    maxPrice: '10',
    deadline: 100,
    nonce: `0x${randomBytes(32).toString('hex')}`,
    sealingPublicKey: `0x02${'ab'.repeat(32)}`,
  }
  return { request: signJobRequest(domain, buyerKey, request), jobId: jobIdOf(request) }
}

describe('the executor', () => {
  it('evaluates a waiting job before its admission, and attests the same result as one evaluated at admission', async () => {
    const early: TraceMark[] = []
    const late: TraceMark[] = []
    const job = signed()
    const a = executor('early', early)
    const b = executor('late', late)
    const started = await a.start(job.jobId, job.request, manifest)
    expect(started?.bundle.resultHash).toMatch(/^0x/)
    expect(early).toEqual(['fetched', 'ingested', 'evaluated'])
    // Nothing of the result is where peers or API callers could read it before admission.
    const bundleId = blobIdOf(encodeBundle(started!.bundle))
    expect(await store.blobs.has(bundleId)).toBe(false)
    const fromEarly = await a.execute(job.jobId, job.request, manifest)
    expect(fromEarly.bundleId).toBe(bundleId)
    // Admission found the work done: nothing ran again.
    expect(early).toEqual(['fetched', 'ingested', 'evaluated'])
    const atAdmission = await b.execute(job.jobId, job.request, manifest)
    expect(fromEarly.attestation.resultHash).toBe(atAdmission.attestation.resultHash)
    expect(fromEarly.bundleId).toBe(atAdmission.bundleId)
  })

  it('only fetches a waiting job while evaluations queue, and evaluates it once admitted', async () => {
    const marks: TraceMark[] = []
    const x = executor('queued', marks)
    const busy = [signed(), signed(), signed()]
    // Three admitted jobs fill the one worker and its queue.
    const running = busy.map((j) => x.execute(j.jobId, j.request, manifest))
    while (evaluator.queueDepth < 2) await sleep(5)
    const waiting = signed()
    expect(await x.start(waiting.jobId, waiting.request, manifest)).toBeUndefined()
    const done = await x.execute(waiting.jobId, waiting.request, manifest)
    const others = await Promise.all(running)
    expect(done.attestation.resultHash).toBe(others[0]!.attestation.resultHash)
  })

  it('warms a vault before any job: every blob ingested and expanded, and a job after it gives the pinned result', async () => {
    const x = executor('warmed', [])
    const warmth = await x.warm(manifest, async () => {})
    const ciphertexts = manifest.columns.flatMap((c) => c.chunks)
    expect(warmth.ciphertexts).toBe(ciphertexts.length)
    const refs = manifest.columns.flatMap((c) => chunkRefs(manifest, c.chunks))
    const expanded = await readdir(join(dir, 'warmed', 'expanded'))
    for (const ref of refs) expect(expanded).toContain(ref.slice(2).replace('#', '.'))
    const regression = signed(JSON.parse(JSON.stringify(REGRESSION_SPEC)))
    const r = await x.execute(regression.jobId, regression.request, manifest)
    expect(r.attestation.resultHash).toBe(await regressionResultHash())
  })

  it('reads a vault from the store once: a later job on it finds its blobs where the worker reads them', async () => {
    // The same store, its reads and fetches counted.
    const counted = { gets: 0, ensures: 0 }
    const x = executor('once', [], {
      get: (id) => {
        counted.gets++
        return store.blobs.get(id)
      },
      ensure: async () => void counted.ensures++,
    })
    const first = signed()
    const a = await x.execute(first.jobId, first.request, manifest)
    expect(counted.ensures).toBe(1)
    expect(counted.gets).toBeGreaterThan(2)
    const after = { ...counted }
    const second = signed()
    const b = await x.execute(second.jobId, second.request, manifest)
    expect(counted).toEqual(after)
    expect(b.attestation.resultHash).toBe(a.attestation.resultHash)
    // Its circuit was kept for the spec, never for another: a regression job on it gives the pinned result.
    const regression = signed(JSON.parse(JSON.stringify(REGRESSION_SPEC)))
    const r = await x.execute(regression.jobId, regression.request, manifest)
    expect(r.attestation.resultHash).toBe(await regressionResultHash())
    expect(r.attestation.resultHash).not.toBe(a.attestation.resultHash)
  })

  it('serves a repeated circuit from its last result: no evaluation, no second write, the same bundle', async () => {
    // Spies that call through: the real evaluator and store, their calls counted.
    const evaluations = vi.spyOn(evaluator, 'evaluate')
    const puts = vi.spyOn(store.blobs, 'put')
    try {
      const x = executor('repeat', [])
      const first = signed()
      const a = await x.execute(first.jobId, first.request, manifest)
      expect(evaluations).toHaveBeenCalledTimes(1)
      const second = signed()
      const b = await x.execute(second.jobId, second.request, manifest)
      expect(evaluations).toHaveBeenCalledTimes(1)
      expect(b.bundleId).toBe(a.bundleId)
      expect(b.attestation.resultHash).toBe(a.attestation.resultHash)
      expect(puts.mock.calls.map(([id]) => id)).toEqual([a.bundleId])
      // What it serves is what an evaluation from scratch gives, byte for byte.
      const fresh = signed()
      const c = await executor('repeat-fresh', []).execute(fresh.jobId, fresh.request, manifest)
      expect(evaluations).toHaveBeenCalledTimes(2)
      expect(c.bundleId).toBe(a.bundleId)
    } finally {
      evaluations.mockRestore()
      puts.mockRestore()
    }
  })

  it('stores a result once when jobs evaluated side by side bring it back as new objects, and again once its blob is gone', async () => {
    const evaluations = vi.spyOn(evaluator, 'evaluate')
    const puts = vi.spyOn(store.blobs, 'put')
    try {
      const x = executor('side-by-side', [])
      const jobs = [signed(), signed(), signed()]
      // Started together: none finds another's result yet, so each is evaluated on its own.
      const started = await Promise.all(jobs.map((j) => x.start(j.jobId, j.request, manifest)))
      expect(evaluations.mock.calls.length).toBeGreaterThan(1)
      expect(new Set(started.map((e) => e?.bundle)).size).toBeGreaterThan(1)
      // Executed together, as the jobs a block admits are: one store, whoever finishes first.
      const executed = await Promise.all(jobs.map((j) => x.execute(j.jobId, j.request, manifest)))
      expect(new Set(executed.map((e) => e.bundleId)).size).toBe(1)
      expect(puts).toHaveBeenCalledTimes(1)
      // A store that lost the blob since: the remembered id is not trusted, the bundle is stored again.
      const forgetful = executor('side-by-side-gone', [], undefined, async () => false)
      const before = puts.mock.calls.length
      for (const j of [signed(), signed()]) await forgetful.execute(j.jobId, j.request, manifest)
      expect(puts.mock.calls.length).toBe(before + 2)
    } finally {
      evaluations.mockRestore()
      puts.mockRestore()
    }
  })

  it('reproduces the pinned regression result through the node path', async () => {
    const regression = signed(JSON.parse(JSON.stringify(REGRESSION_SPEC)))
    const r = await executor('pinned', []).execute(regression.jobId, regression.request, manifest)
    expect(r.attestation.resultHash).toBe(await regressionResultHash())
  })
})
