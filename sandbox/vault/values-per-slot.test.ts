import { cp, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobIdOf } from '../../protocol/index.ts'
import { compile } from '../compiler/compile.ts'
import { decryptStats } from '../decrypt/decrypt.ts'
import { Evaluator } from '../evaluator/evaluator.ts'
import { KEY_FILES, type KeyMeta, loadSecretKey, readKeyMeta } from '../he/keys.ts'
import { rotateAndSumSteps } from '../he/profiles.ts'
import { heContext } from '../he/seal.ts'
import { wireBytes } from '../he/serialize.ts'
import { parseSpec } from '../spec/parse.ts'
import { OPEN_POLICY, TEST_PASSPHRASE, type Workspace, workspace } from '../testing/fixtures.ts'
import { blobPath } from './blob-dir.ts'
import { createVault } from './create.ts'
import { BLOB_DIR, parseManifest, type VaultManifest, vaultIdOf } from './manifest.ts'
import type { VaultSchema } from './schema.ts'

/** Vaults of two values per complex slot against vaults of one (complex-pairs.ts). */
const SCHEMA: VaultSchema = {
  columns: [
    { name: 'x', type: 'number', min: 0, max: 100, nullable: false },
    { name: 'y', type: 'number', min: 0, max: 400, nullable: true },
  ],
}
// 9,000 records: two full chunks and one of 808, so the second ciphertext's imaginary half is empty.
const RECORDS = 9000
const CSV = `x,y\n${Array.from({ length: RECORDS }, (_, i) => `${(i * 37) % 101},${i % 13 === 0 ? '' : (i * 53) % 397}`).join('\n')}\n`
const SPEC = parseSpec({
  version: 1,
  outputs: {
    m: { op: 'mean', of: 'x' },
    v: { op: 'variance', of: 'y' },
    c: { op: 'correlation', of: ['x', 'y'] },
  },
})

let ws: Workspace
let evaluator: Evaluator
beforeAll(async () => {
  ws = await workspace()
  evaluator = new Evaluator({ workers: 1 })
  evaluator.start()
}, 120_000)
afterAll(async () => {
  await evaluator?.stop()
  await ws?.dispose()
})

const create = (name: string, valuesPerSlot?: 1 | 2, keysDir = ws.keysDir) =>
  createVault({
    csv: Readable.from([CSV]),
    schema: SCHEMA,
    policy: OPEN_POLICY,
    keysDir,
    passphrase: TEST_PASSPHRASE,
    outDir: join(ws.dir, name),
    workers: 1,
    ...(valuesPerSlot ? { valuesPerSlot } : {}),
  })

async function storedBytes(name: string, manifest: VaultManifest): Promise<number> {
  const ids = new Set(manifest.columns.flatMap((c) => c.chunks))
  let total = 0
  for (const id of ids)
    total += (await stat(blobPath(join(ws.dir, name, BLOB_DIR), id as `0x${string}`))).size
  return total
}

async function exactStats(name: string, manifest: VaultManifest) {
  const circuit = compile(SPEC, manifest)
  const { bundle } = await evaluator.evaluate(circuit, manifest, join(ws.dir, name, BLOB_DIR))
  const ctx = await heContext(manifest.profile)
  const sk = await loadSecretKey(ctx, ws.keysDir, TEST_PASSPHRASE, manifest.keys.publicKey)
  try {
    return { bundle, stats: decryptStats(ctx, sk, bundle, circuit) }
  } finally {
    sk.delete()
  }
}

describe('two values per slot', () => {
  it('gives the statistics a vault of one value per slot gives, from half the bytes', async () => {
    const one = await create('one', 1)
    const two = await create('two')
    expect(one.valuesPerSlot).toBeUndefined()
    expect(two).toMatchObject({ valuesPerSlot: 2, chunkCount: 3, recordCount: RECORDS })
    // Each ciphertext is named by both its chunks; the last holds one.
    const [a, b, c] = two.columns[0]!.chunks
    expect(a).toBe(b)
    expect(c).not.toBe(a)
    const ratio = (await storedBytes('two', two)) / (await storedBytes('one', one))
    expect(ratio).toBeLessThan(0.7) // 2 ciphertexts for 3 chunks: 2/3, and 1/2 for long vaults
    const [s1, s2] = [await exactStats('one', one), await exactStats('two', two)]
    expect(s2.stats).toHaveLength(s1.stats.length)
    s1.stats.forEach((v, i) => {
      // Sums of up to 9,000 normalized products: CKKS noise is far below 1e-4 of one record.
      expect(Math.abs(s2.stats[i]! - v)).toBeLessThan(1e-4)
    })
  }, 180_000)

  it('a manifest listing the same ciphertexts as one value per slot never reads the stats cached for the pairs', async () => {
    // The adversary republishes a pair vault's blobs under a manifest without valuesPerSlot: if
    // the stat cache keyed chunks by blob id alone, its stats (the pairs read whole) would be
    // served to the genuine vault's buyers, or the genuine ones to it.
    const two = await create('genuine')
    const { valuesPerSlot: _dropped, vaultId: _id, ...rest } = two
    const forged = { ...rest, vaultId: vaultIdOf(rest) }
    const blobDir = join(ws.dir, 'genuine', BLOB_DIR)
    const cached = new Evaluator({ workers: 1, statCache: { dir: join(ws.dir, 'stat-cache') } })
    cached.start()
    try {
      const forgedRun = await cached.evaluate(compile(SPEC, forged), forged, blobDir)
      const genuineRun = await cached.evaluate(compile(SPEC, two), two, blobDir)
      const uncached = await evaluator.evaluate(compile(SPEC, two), two, blobDir)
      expect(genuineRun.bundle.resultHash).toBe(uncached.bundle.resultHash)
      expect(forgedRun.bundle.stats).not.toEqual(uncached.bundle.stats)
    } finally {
      await cached.stop()
    }
  }, 180_000)

  it('refuses a manifest of a format it does not know, a committee pair vault and unpaired chunk ids, by field', async () => {
    const two = await create('refusals')
    const reject = (patch: Record<string, unknown>) => {
      const { vaultId: _id, ...rest } = { ...two, ...patch }
      const value = { ...rest, vaultId: vaultIdOf(rest as Omit<VaultManifest, 'vaultId'>) }
      try {
        parseManifest(value)
      } catch (e) {
        return { code: (e as { code?: string }).code, field: (e as { field?: string }).field }
      }
      return undefined
    }
    expect(reject({ valuesPerSlot: 3 })).toEqual({ code: 'MANIFEST_INVALID', field: 'valuesPerSlot' })
    expect(reject({ keyHolder: { mode: 'committee', epoch: 1, keyHash: `0x${'11'.repeat(32)}` } })).toEqual({
      code: 'MANIFEST_INVALID',
      field: 'valuesPerSlot',
    })
    const [a, , c] = two.columns[0]!.chunks
    const unpaired = [{ ...two.columns[0]!, chunks: [a, c, c] }, ...two.columns.slice(1)]
    expect(reject({ columns: unpaired })).toEqual({ code: 'MANIFEST_INVALID', field: 'columns.0.chunks' })
    expect(parseManifest(two)).toEqual(two)
  }, 120_000)

  it('keys without the conjugation make vaults of one value per slot, refuse two, and a false keys.json fails typed', async () => {
    // An older key directory: Galois keys for the rotations only, no `conjugation` in keys.json.
    const old = join(ws.dir, 'old-keys')
    await cp(ws.keysDir, old, { recursive: true })
    const ctx = await heContext('ckks-8192')
    const sk = await loadSecretKey(ctx, old, TEST_PASSPHRASE)
    const keygen = new ctx.seal.KeyGenerator(ctx.context, sk)
    const serializable = keygen.createGaloisKeysSerializableWithSteps(
      Int32Array.from(rotateAndSumSteps(ctx.profile.slotCount)),
    )
    const galois = wireBytes(ctx.seal, serializable)
    for (const o of [serializable, keygen, sk]) o.delete()
    await writeFile(join(old, KEY_FILES.galoisKeys), galois)
    const meta = await readKeyMeta(old)
    const { conjugation: _c, ...withoutConjugation } = meta
    const writeMeta = (m: KeyMeta | Omit<KeyMeta, 'conjugation'>) =>
      writeFile(join(old, KEY_FILES.meta), JSON.stringify({ ...m, galoisKeys: blobIdOf(galois) }))
    await writeMeta(withoutConjugation)
    const plain = await create('old-one', undefined, old)
    expect(plain.valuesPerSlot).toBeUndefined()
    await expect(create('old-two', 2, old)).rejects.toMatchObject({
      code: 'KEY_INVALID',
      field: 'valuesPerSlot',
    })
    // keys.json claiming a conjugation its Galois keys lack: the vault is made, its jobs fail typed.
    await writeMeta({ ...withoutConjugation, conjugation: true })
    const lying = await create('old-lying', undefined, old)
    expect(lying.valuesPerSlot).toBe(2)
    await expect(
      evaluator.evaluate(compile(SPEC, lying), lying, join(ws.dir, 'old-lying', BLOB_DIR)),
    ).rejects.toMatchObject({ code: 'KEY_INVALID' })
  }, 180_000)
})
