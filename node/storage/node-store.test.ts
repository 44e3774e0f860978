import { randomBytes } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { blobIdOf, type Hex32 } from '../../protocol/index.ts'
import { FILE_BLOB_MIN_BYTES } from './blob-files.ts'
import { openDatabase } from './database.ts'
import { numberKey } from './keys.ts'
import { BLOB_FILES_DIR, createNodeStore } from './node-store.ts'
import type { StoredUpload } from './schemas.ts'
import { block, certificate, jobRecord, manifest, signedRequest, voteEntry } from './testing/fixtures.ts'
import { useTempStore } from './testing/temp-store.ts'

const t = useTempStore('tcf-store-')

const uploadRecord = {
  owner: `0x${'aa'.repeat(20)}`,
  vaultId: `0x${'11'.repeat(32)}`,
  at: '2026-12-04T00:00:00.000Z',
} as const satisfies Omit<StoredUpload, 'blobId' | 'bytes'>

/** Writes raw bytes under a sublevel key, bypassing every check, as damage on disk would. */
async function tamper(sublevel: string, key: string, value: string) {
  await t.store.close()
  const db = new Level<string, string>(t.dir)
  await db.sublevel<string, string>(sublevel, { valueEncoding: 'utf8' }).put(key, value)
  await db.close()
  t.set(createNodeStore({ dir: t.dir }))
  await t.store.open()
}

describe('blobs', () => {
  it('stores by content id, refuses bytes that do not hash to the id, answers undefined when absent', async () => {
    const bytes = new TextEncoder().encode('ciphertext')
    const id = blobIdOf(bytes)
    await t.store.blobs.put(id, bytes)
    expect(await t.store.blobs.get(id)).toEqual(bytes)
    expect(await t.store.blobs.has(id)).toBe(true)
    await expect(t.store.blobs.put(id, new Uint8Array([1]))).rejects.toMatchObject({
      code: 'BLOB_ID_MISMATCH',
    })
    expect(await t.store.blobs.get(blobIdOf(new Uint8Array([2])))).toBeUndefined()
  })

  it('writes its database uncompressed: ciphertexts do not shrink and compressing them cost CPU', async () => {
    // Zeros are what any compressor shrinks most; stored uncompressed, the table holds every byte.
    const bytes = new Uint8Array(FILE_BLOB_MIN_BYTES - 1)
    await t.store.blobs.put(blobIdOf(bytes), bytes)
    await t.store.close()
    // Opened again as the store opens it, LevelDB moves what its log holds into a table, where
    // compression would apply.
    const { db } = openDatabase(t.dir)
    await db.open()
    await db.close()
    const tables = (await readdir(t.dir)).filter((f) => f.endsWith('.ldb'))
    const sizes = await Promise.all(tables.map(async (f) => (await stat(join(t.dir, f))).size))
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(bytes.length)
    t.set(createNodeStore({ dir: t.dir }))
    await t.store.open()
    expect(await t.store.blobs.get(blobIdOf(bytes))).toEqual(bytes)
  })

  it('keeps large blobs as files, checked on the way out like the others, and collects them', async () => {
    const bytes = randomBytes(FILE_BLOB_MIN_BYTES)
    const id = blobIdOf(bytes)
    await t.store.blobs.put(id, bytes)
    const file = join(t.dir, BLOB_FILES_DIR, id.slice(2, 4), id.slice(4))
    expect((await stat(file)).size).toBe(bytes.length)
    expect(await t.store.blobs.has(id)).toBe(true)
    // Durable: there after the store is closed and opened again.
    await t.store.close()
    t.set(createNodeStore({ dir: t.dir }))
    await t.store.open()
    expect(await t.store.blobs.get(id)).toEqual(new Uint8Array(bytes))
    // Damaged on disk: refused, not served.
    await writeFile(file, randomBytes(FILE_BLOB_MIN_BYTES))
    await expect(t.store.blobs.get(id)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' })
    await t.store.collect([id], [])
    expect(await t.store.blobs.has(id)).toBe(false)
    expect(await t.store.blobs.get(id)).toBeUndefined()
    // Gone already: collecting it again is no error.
    await t.store.collect([id], [])
  })

  it('reads large blobs a store kept in its database before they were files', async () => {
    const bytes = randomBytes(2 * FILE_BLOB_MIN_BYTES)
    const id = blobIdOf(bytes)
    await t.store.close()
    const { db, blobs } = openDatabase(t.dir)
    await db.open()
    await blobs.put(id, bytes)
    await db.close()
    t.set(createNodeStore({ dir: t.dir }))
    await t.store.open()
    expect(await t.store.blobs.has(id)).toBe(true)
    expect(await t.store.blobs.get(id)).toEqual(new Uint8Array(bytes))
    await t.store.collect([id], [])
    expect(await t.store.blobs.has(id)).toBe(false)
  })

  it('names no file outside its directory, whatever id a peer asks for', async () => {
    // A file where "0x../<name>" would lead if ids were paths.
    const outside = join(t.dir, BLOB_FILES_DIR, '..', 'secret')
    await writeFile(outside, 'not a blob')
    for (const id of ['0x../secret', `0x${'..'}/${'a'.repeat(62)}`, '0xAB/../../secret'] as Hex32[]) {
      expect(await t.store.blobs.get(id)).toBeUndefined()
      expect(await t.store.blobs.has(id)).toBe(false)
      await t.store.collect([id], [])
    }
    expect(await readFile(outside, 'utf8')).toBe('not a blob')
  })

  it("stores an upload's large blob as a file before its record, and collects both", async () => {
    const bytes = randomBytes(FILE_BLOB_MIN_BYTES + 1)
    const upload = { ...uploadRecord, blobId: blobIdOf(bytes), bytes: bytes.length }
    await t.store.putUpload(upload, bytes)
    expect(await t.store.listUploads()).toEqual([upload])
    expect(await t.store.blobs.get(upload.blobId as Hex32)).toEqual(new Uint8Array(bytes))
    await expect(t.store.putUpload(upload, randomBytes(FILE_BLOB_MIN_BYTES))).rejects.toMatchObject({
      code: 'BLOB_ID_MISMATCH',
    })
    await t.store.collect([upload.blobId], [upload])
    expect(await t.store.listUploads()).toEqual([])
    expect(await t.store.blobs.has(upload.blobId as Hex32)).toBe(false)
  })

  it('reports bytes damaged on disk instead of serving them', async () => {
    const bytes = new Uint8Array([1, 2, 3])
    const id = blobIdOf(bytes)
    await t.store.blobs.put(id, bytes)
    await tamper('blobs', id, 'other bytes')
    await expect(t.store.blobs.get(id)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' })
  })
})

describe('vaults, jobs and meta', () => {
  it('round-trip across a reopen', async () => {
    const receivedAt = new Date('2026-11-21T07:00:00.000Z')
    await t.store.putVault(manifest, receivedAt)
    const pending = jobRecord(signedRequest(1), 'pending')
    const failed = jobRecord(signedRequest(2), 'failed', { failedHeight: 3, failReason: 'deadline' })
    await t.store.putJob(pending.jobId, pending)
    await t.store.putJob(failed.jobId, failed)
    await t.store.putMeta('lastAnchoredHeight', 7)
    await t.reopen()
    expect(await t.store.getVault(manifest.vaultId)).toEqual({
      manifest,
      receivedAt: receivedAt.toISOString(),
    })
    expect(await t.store.getJob(pending.jobId)).toEqual(pending)
    expect(await t.store.listJobs({ stage: 'failed' })).toEqual([failed])
    expect(await t.store.listJobs()).toHaveLength(2)
    expect(await t.store.getMeta('lastAnchoredHeight', z.number())).toBe(7)
    expect(await t.store.getJob(signedRequest(3).signature)).toBeUndefined()
  })

  it('refuses records that do not validate, so nothing unreadable reaches disk', async () => {
    const record = jobRecord(signedRequest(1), 'admitted')
    await expect(t.store.putJob(record.jobId, { ...record, admittedHeight: 0 })).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    })
    // filed under another job's id
    const other = jobRecord(signedRequest(2), 'admitted')
    await expect(t.store.putJob(other.jobId, record)).rejects.toMatchObject({ code: 'INVALID_RECORD' })
    await expect(t.store.putJob(record.jobId, { ...record, jobId: other.jobId })).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    })
    await expect(t.store.putVault({ ...manifest, recordCount: 1 })).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    })
    expect(await t.store.listJobs()).toEqual([])
  })

  it('lists by stage and vault, and still reports a damaged record the listing would return', async () => {
    const certified = jobRecord(signedRequest(1), 'certified')
    const pending = jobRecord(signedRequest(2), 'pending')
    await t.store.putJob(certified.jobId, certified)
    await t.store.putJob(pending.jobId, pending)
    expect(await t.store.listJobs({ stage: 'certified', vault: manifest.vaultId })).toEqual([certified])
    expect(await t.store.listJobs({ vault: `0x${'ab'.repeat(32)}` })).toEqual([])
    // A certified record whose request is damaged: skipping it would hide the damage from the poll.
    await tamper('jobs', certified.jobId, JSON.stringify({ ...certified, request: { damaged: true } }))
    await expect(t.store.listJobs({ stage: 'certified', vault: manifest.vaultId })).rejects.toMatchObject({
      code: 'CORRUPT_RECORD',
    })
    expect(await t.store.listJobs({ stage: 'pending' })).toEqual([pending])
  })

  it('lists records it decoded before from memory, and every later write', async () => {
    const admitted = jobRecord(signedRequest(1), 'admitted')
    await t.store.putJob(admitted.jobId, admitted)
    const [listed] = await t.store.listJobs({ stage: 'admitted' })
    // The very object a read hands out: not parsed and checked again.
    expect(listed).toBe(await t.store.getJob(admitted.jobId))
    expect(Object.isFrozen(listed)).toBe(true)
    const certified = jobRecord(signedRequest(1), 'certified')
    await t.store.putJob(certified.jobId, certified)
    expect(await t.store.listJobs({ stage: 'admitted' })).toEqual([])
    expect(await t.store.listJobs({ stage: 'certified' })).toEqual([certified])
    // After a reopen the first listing reads from disk and remembers what it checked.
    await t.reopen()
    const [fromDisk] = await t.store.listJobs({})
    expect(fromDisk).toEqual(certified)
    expect(await t.store.getJob(certified.jobId)).toBe(fromDisk)
  })

  it('refuses a record filed under another job, with both requests read and remembered before', async () => {
    const one = jobRecord(signedRequest(1), 'admitted')
    const two = jobRecord(signedRequest(2), 'admitted')
    await t.store.putJob(one.jobId, one)
    await t.store.putJob(two.jobId, two)
    expect(await t.store.getJob(one.jobId)).toEqual(one)
    expect(await t.store.getJob(two.jobId)).toEqual(two)
    // Job two's request under job one's id: each request's id is remembered, neither is the other's.
    await tamper('jobs', one.jobId, JSON.stringify({ ...one, request: two.request }))
    await expect(t.store.getJob(one.jobId)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' })
  })

  it('serves a record it wrote from memory, frozen, and never what a caller changed or a refused write held', async () => {
    const admitted = jobRecord(signedRequest(1), 'admitted', { admittedHeight: 1 })
    await t.store.putJob(admitted.jobId, admitted)
    const read = await t.store.getJob(admitted.jobId)
    expect(read).toEqual(admitted)
    expect(await t.store.getJob(admitted.jobId)).toBe(read)
    // The writer's object is its own: changing it after the write changes nothing stored.
    expect(Object.isFrozen(admitted)).toBe(false)
    ;(admitted as { stage: string }).stage = 'released'
    expect((await t.store.getJob(admitted.jobId))?.stage).toBe('admitted')
    // Nor can a reader change it for the next one.
    expect(() => {
      ;(read as { stage: string }).stage = 'released'
    }).toThrow(TypeError)
    expect(() => {
      ;(read?.request.request as { vaultId: string }).vaultId = `0x${'ab'.repeat(32)}`
    }).toThrow(TypeError)
    // A forged update is refused and the last good record is still what is read.
    const forged = {
      ...jobRecord(signedRequest(1), 'certified'),
      jobId: jobRecord(signedRequest(2), 'pending').jobId,
    }
    await expect(t.store.putJob(read!.jobId, forged)).rejects.toMatchObject({ code: 'INVALID_RECORD' })
    expect((await t.store.getJob(read!.jobId))?.stage).toBe('admitted')
    // A block's update replaces it, and a reopened store reads the same from disk.
    const r1 = signedRequest(1)
    const b1 = block(1, { admitted: [r1] })
    await t.store.commitBlock(1, b1, certificate(b1), [jobRecord(r1, 'certified', { certifiedHeight: 1 })])
    expect((await t.store.getJob(read!.jobId))?.stage).toBe('certified')
    const cached = await t.store.getJob(read!.jobId)
    await t.reopen()
    expect(await t.store.getJob(read!.jobId)).toEqual(cached)
  })

  it("takes a kept record's frozen request as checked, and checks everything else in full", async () => {
    const pending = jobRecord(signedRequest(1), 'pending')
    await t.store.putJob(pending.jobId, pending)
    const kept = (await t.store.getJob(pending.jobId))!
    // The next stage over the same frozen request: written, and read back as written.
    await t.store.putJob(kept.jobId, { ...kept, stage: 'admitted', admittedHeight: 1 })
    expect(await t.store.getJob(kept.jobId)).toMatchObject({ stage: 'admitted', request: pending.request })
    // A copy of that request with its spec changed under the same specHash is not the checked object.
    const forged = structuredClone(kept.request) as typeof kept.request
    ;(forged.request.algorithm as { spec: unknown }).spec = { forged: true }
    await expect(t.store.putJob(kept.jobId, { ...kept, request: forged })).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    })
    // The checked request filed under another job's id is still refused, and so is a bad field beside it.
    const other = jobRecord(signedRequest(2), 'pending')
    await expect(t.store.putJob(other.jobId, { ...kept, jobId: other.jobId })).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    })
    await expect(t.store.putJob(kept.jobId, { ...kept, admittedHeight: 0 })).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    })
    expect((await t.store.getJob(kept.jobId))?.stage).toBe('admitted')
  })

  it('turns malformed stored data into CORRUPT_RECORD', async () => {
    const record = jobRecord(signedRequest(1), 'admitted')
    await tamper('jobs', record.jobId, '{"jobId":')
    await expect(t.store.getJob(record.jobId)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' })
    await expect(t.store.listJobs()).rejects.toMatchObject({ code: 'CORRUPT_RECORD' })
    await tamper('meta', 'm', '"text"')
    await expect(t.store.getMeta('m', z.number())).rejects.toMatchObject({ code: 'CORRUPT_RECORD' })
    await tamper('blocks', numberKey(1), JSON.stringify({ blockHash: '0x00' }))
    await expect(t.store.getBlock(1)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' })
  })

  it('refuses to open over a damaged WAL entry', async () => {
    await tamper('meta', 'ok', '1')
    await t.store.close()
    const db = new Level<string, string>(t.dir)
    await db
      .sublevel<string, string>('wal', { valueEncoding: 'utf8' })
      .put(`${numberKey(1)}:${numberKey(0)}`, '{"kind":"vote"}')
    await db.close()
    t.set(createNodeStore({ dir: t.dir }))
    await expect(t.store.open()).rejects.toMatchObject({ code: 'CORRUPT_RECORD' })
    // The failed open released the database, so it can be opened again once repaired.
    const repair = new Level<string, string>(t.dir)
    await repair.sublevel<string, string>('wal', { valueEncoding: 'utf8' }).clear()
    await repair.close()
    await t.store.open()
  })

  it('says NOT_OPEN when used closed', async () => {
    await t.store.close()
    expect(() => t.store.latestHeight()).toThrow(expect.objectContaining({ code: 'NOT_OPEN' }))
    await t.store.open()
  })
})

describe('commitBlock', () => {
  it('stores the block, its certificate and its job updates together, and prunes the WAL in the same batch', async () => {
    const r1 = signedRequest(1)
    const b1 = block(1, { admitted: [r1] })
    t.store.wal.append(voteEntry(1, 0))
    await t.store.commitBlock(1, b1, certificate(b1), [jobRecord(r1, 'admitted', { admittedHeight: 1 })])
    const b2 = block(2, { failed: [jobRecord(r1, 'pending').jobId] })
    t.store.wal.append(voteEntry(2, 0))
    await t.store.commitBlock(
      2,
      b2,
      certificate(b2),
      [jobRecord(r1, 'failed', { admittedHeight: 1, failedHeight: 2 })],
      2,
    )
    await t.reopen()
    expect(t.store.latestHeight()).toBe(2)
    expect(await t.store.decided(2)).toBe(true)
    expect(await t.store.decided(3)).toBe(false)
    expect(await t.store.getBlock(1)).toEqual({
      blockHash: certificate(b1).blockHash,
      block: b1,
      certificate: certificate(b1),
    })
    expect((await t.store.getJob(jobRecord(r1, 'failed').jobId))?.failedHeight).toBe(2)
    expect(t.store.wal.entries(1)).toEqual([])
    expect(t.store.wal.entries(2)).toEqual([voteEntry(2, 0)])
  })

  it('is idempotent for the same block and refuses another block, a gap or a mismatched certificate', async () => {
    const b1 = block(1)
    await t.store.commitBlock(1, b1, certificate(b1), [])
    await t.store.commitBlock(1, b1, certificate(b1), [])
    const other = { ...b1, parentHash: certificate(b1).blockHash }
    await expect(t.store.commitBlock(1, other, certificate(other), [])).rejects.toMatchObject({
      code: 'CONFLICTING_BLOCK',
    })
    await expect(t.store.commitBlock(3, block(3), certificate(block(3)), [])).rejects.toMatchObject({
      code: 'HEIGHT_GAP',
    })
    await expect(t.store.commitBlock(2, block(2), certificate(other), [])).rejects.toMatchObject({
      code: 'BLOCK_MISMATCH',
    })
    await expect(
      t.store.commitBlock(2, block(2), { ...certificate(block(2)), epoch: 2 }, []),
    ).rejects.toMatchObject({
      code: 'BLOCK_MISMATCH',
    })
    expect(t.store.latestHeight()).toBe(1)
  })

  it('writes nothing when one job update is invalid', async () => {
    const r1 = signedRequest(1)
    const b1 = block(1, { admitted: [r1] })
    const good = jobRecord(signedRequest(2), 'pending')
    const bad = { ...jobRecord(r1, 'admitted'), stage: 'lost' } as unknown as ReturnType<typeof jobRecord>
    await expect(t.store.commitBlock(1, b1, certificate(b1), [good, bad])).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    })
    expect(t.store.latestHeight()).toBe(0)
    expect(await t.store.getJob(good.jobId)).toBeUndefined()
  })
})
