import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { blobIdOf, decidedRecordCodec, hex32Schema, jobIdOf } from '../../protocol/index.ts'
import { BLOB_FILES_DIR, createNodeStore, HEAD_KEY } from './node-store.ts'
import { largeBlob, signedRequest } from './testing/fixtures.ts'

const WRITER = fileURLToPath(new URL('./testing/crash-writer.ts', import.meta.url))
const RUNS = 8

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tcf-crash-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Runs the writer until it has committed a few blocks, then SIGKILLs it after a random delay. */
async function runAndKill(killAfterMs: number): Promise<{ walSynced: number; committed: number }> {
  const child = spawn(process.execPath, [WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 20_000
  while (!stdout.includes('block ') && child.exitCode === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  if (child.exitCode !== null) throw new Error(`writer exited with ${child.exitCode}: ${stderr}`)
  await new Promise((resolve) => setTimeout(resolve, killAfterMs))
  child.kill('SIGKILL')
  await exited
  // What the writer had confirmed before it died: those writes must all have survived.
  const last = (word: string) =>
    Math.max(0, ...[...stdout.matchAll(new RegExp(`${word} (\\d+)`, 'g'))].map((m) => Number(m[1])))
  return { walSynced: last('wal'), committed: last('block') }
}

it(`keeps blocks, jobs, the head and the WAL consistent across ${RUNS} SIGKILLs at random moments`, async () => {
  let previous = 0
  for (let run = 0; run < RUNS; run++) {
    const confirmed = await runAndKill(Math.floor(Math.random() * 400))
    const store = createNodeStore({ dir })
    await store.open() // a damaged WAL or block would throw CORRUPT_RECORD here or below
    try {
      const latest = store.latestHeight()
      expect(latest).toBeGreaterThanOrEqual(Math.max(confirmed.committed, previous))
      expect(latest).toBeLessThanOrEqual(confirmed.committed + 1)
      expect(confirmed.walSynced).toBeGreaterThanOrEqual(confirmed.committed)
      // Blocks are contiguous and each one's job updates landed with it, and none of a later block's.
      for (let h = 1; h <= latest; h++) {
        const stored = await store.getBlock(h)
        expect(stored?.block.height).toBe(h)
        const job = await store.getJob(jobIdOf(signedRequest(h).request))
        expect(job).toMatchObject(
          h < latest ? { stage: 'failed', failedHeight: h + 1 } : { stage: 'admitted', admittedHeight: h },
        )
      }
      expect(await store.getBlock(latest + 1)).toBeUndefined()
      // The head names the latest block's decided record, whose chain leads back through every block.
      let id = (await store.getMeta(HEAD_KEY, hex32Schema)) ?? null
      for (let h = latest; h >= 1; h--) {
        expect(id, `head chain at height ${h}`).not.toBeNull()
        const record = decidedRecordCodec.decode((await store.blobs.get(id as `0x${string}`))!)
        expect(record.block).toEqual((await store.getBlock(h))?.block)
        id = record.prev
      }
      expect(id).toBeNull()
      // Every committed height's blob file is whole, and no file under a blob's name is torn: a
      // write cut short leaves only its temporary file, which no id names.
      for (let h = 1; h <= latest; h++) {
        // get re-hashes what it reads (CORRUPT_RECORD otherwise); compared as Buffers, since a deep
        // equality of 96 KiB element by element would take most of the test's time.
        const stored = await store.blobs.get(blobIdOf(largeBlob(h)))
        expect(stored && Buffer.from(stored).equals(largeBlob(h)), `blob of height ${h}`).toBe(true)
      }
      const files = join(dir, BLOB_FILES_DIR)
      for (const shard of (await readdir(files, { withFileTypes: true })).filter((e) => e.isDirectory())) {
        for (const name of await readdir(join(files, shard.name))) {
          expect(blobIdOf(await readFile(join(files, shard.name, name)))).toBe(`0x${shard.name}${name}`)
        }
      }
      expect(await store.getJob(jobIdOf(signedRequest(latest + 1).request))).toBeUndefined()
      // The WAL below the latest block was pruned with it; what remains is whole: all 3 entries of
      // a height or none (one group-committed batch), and every height the writer synced is there.
      for (let h = 1; h < latest; h++) expect(store.wal.entries(h)).toEqual([])
      expect(store.wal.entries(latest)).toHaveLength(latest > 0 ? 3 : 0)
      expect([0, 3]).toContain(store.wal.entries(latest + 1).length)
      if (confirmed.walSynced > latest) expect(store.wal.entries(latest + 1)).toHaveLength(3)
      previous = latest
    } finally {
      await store.close()
    }
  }
  expect(previous).toBeGreaterThan(RUNS)
}, 90_000)
