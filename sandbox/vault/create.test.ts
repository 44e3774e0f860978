import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPEN_POLICY, TEST_PASSPHRASE, type Workspace, workspace } from '../testing/fixtures.ts'
import { createVault } from './create.ts'
import type { VaultSchema } from './schema.ts'

/** `vault create` against a file system that says no, and against itself. */
const SCHEMA: VaultSchema = {
  columns: [{ name: 'a', type: 'integer', min: 0, max: 9, nullable: false }],
}
const CSV = `a\n${Array.from({ length: 40 }, (_, i) => i % 10).join('\n')}\n`

let dir: string
let ws: Workspace
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tcf-create-'))
  ws = await workspace()
}, 120_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await ws?.dispose()
})

const create = (csv: string, outDir: string, workers = 1) =>
  createVault({
    csv,
    schema: SCHEMA,
    policy: OPEN_POLICY,
    keysDir: ws.keysDir,
    passphrase: TEST_PASSPHRASE,
    outDir,
    workers,
  })

async function failure(run: Promise<unknown>): Promise<{ code?: string; field?: string; message: string }> {
  try {
    await run
  } catch (e) {
    const { code, field, message } = e as { code?: string; field?: string; message: string }
    return { ...(code === undefined ? {} : { code }), ...(field === undefined ? {} : { field }), message }
  }
  throw new Error('expected the run to fail')
}

describe('vault create', () => {
  it("parses in the workers and names the file's first bad line, whichever chunk fails first", async () => {
    // Three chunks of 4096 records; bad cells on line 5000 (second chunk) and 9000 (third).
    const rows = Array.from({ length: 9000 }, (_, i) =>
      i + 2 === 5000 || i + 2 === 9000 ? 'x' : String(i % 10),
    )
    const csv = join(dir, 'bad-late.csv')
    await writeFile(csv, `a\n${rows.join('\n')}\n`)
    const out = join(dir, 'bad-late')
    const error = await failure(create(csv, out, 2))
    expect(error).toMatchObject({ code: 'CSV_INVALID', field: 'line 5000, column a' })
    await expect(readdir(out)).rejects.toThrow()
  })

  it('counts records across chunks with quoted cells, CRLF, a BOM and empty lines', async () => {
    const csv = join(dir, 'odd.csv')
    const rows = Array.from({ length: 5000 }, (_, i) => `"${i % 10}"`)
    await writeFile(csv, `\ufeffa\r\n${rows.join('\r\n\r\n')}\r\n`)
    const manifest = await create(csv, join(dir, 'odd'))
    expect(manifest.recordCount).toBe(5000)
    expect(manifest.chunkCount).toBe(2)
  })

  it('turns a missing CSV into a typed error naming it, and leaves nothing behind', async () => {
    const parent = join(dir, 'missing')
    const missing = join(parent, 'nowhere.csv')
    const out = join(parent, 'vault')
    const error = await failure(create(missing, out))
    expect(error).toMatchObject({ code: 'FILE_UNREADABLE', field: missing })
    expect(await readdir(parent).catch(() => [])).toEqual([])
  }, 20_000)

  it('turns a CSV that cannot be read (a directory) into a typed error naming it', async () => {
    const parent = join(dir, 'unreadable')
    const out = join(parent, 'vault')
    const error = await failure(create(dir, out))
    expect(error).toMatchObject({ code: 'FILE_UNREADABLE', field: dir })
    expect(await readdir(parent).catch(() => [])).toEqual([])
  }, 20_000)

  it('refuses an existing output, typed, and leaves it as it was', async () => {
    const parent = join(dir, 'exists')
    const csv = join(dir, 'exists.csv')
    await writeFile(csv, CSV)
    const out = join(parent, 'vault')
    await create(csv, out)
    const before = await readFile(join(out, 'manifest.json'), 'utf8')
    const error = await failure(create(csv, out))
    expect(error).toMatchObject({ code: 'OUTPUT_EXISTS', field: out })
    expect(await readFile(join(out, 'manifest.json'), 'utf8')).toBe(before)
    expect(await readdir(parent)).toEqual(['vault'])
  })

  it('two runs at once on the same output: one vault, whole, one typed refusal, no leftovers', async () => {
    const parent = join(dir, 'race')
    const csv = join(dir, 'race.csv')
    await writeFile(csv, CSV)
    const out = join(parent, 'vault')
    const results = await Promise.allSettled([create(csv, out), create(csv, out)])
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r) => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost.map((r) => (r.reason as { code?: string }).code)).toEqual(['OUTPUT_EXISTS'])
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { vaultId: string }
    expect(manifest.vaultId).toBe((won[0] as PromiseFulfilledResult<{ vaultId: string }>).value.vaultId)
    expect(await readdir(parent)).toEqual(['vault'])
  })
})
