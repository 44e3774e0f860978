import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * The client roles (the `tcf` SDK, the vault agent) run on buyers' and sellers' machines: loading
 * them must not load the validator's database, its peer-to-peer stack or any daemon internals.
 * Each entry point is imported in a fresh Node process whose resolve hook records every module.
 */
const ROOT = new URL('../', import.meta.url).pathname
const RECORDER = join(ROOT, 'test/support/import-recorder.ts')
const run = promisify(execFile)
const dirs: string[] = []

afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

/** Every module URL a fresh process resolves while importing `entry`. */
async function modulesLoadedBy(entry: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tcf-imports-'))
  dirs.push(dir)
  const log = join(dir, 'modules.txt')
  const url = new URL(entry, `file://${ROOT}`).href
  await run(
    process.execPath,
    ['--import', RECORDER, '--input-type=module', '-e', `await import(${JSON.stringify(url)})`],
    {
      env: { ...process.env, TCF_IMPORT_LOG: log },
    },
  )
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean)
}

const DATABASE_OR_P2P =
  /\/node_modules\/(?:level[^/]*|classic-level|abstract-level|libp2p|@libp2p\/[^/]+|@chainsafe\/libp2p-[^/]+)\//
/** The daemon's internals under node/: everything but the client roles and the CLI. */
const DAEMON = /\/node\/(?!sdk\/|agent\/|contributor\/|cli\/)/

function offending(modules: readonly string[]): { readonly packages: string[]; readonly daemon: string[] } {
  const local = modules.filter((m) => m.startsWith(`file://${ROOT}`) && !m.includes('/node_modules/'))
  const rel = (m: string) => m.slice(`file://${ROOT}`.length)
  return {
    packages: [
      ...new Set(modules.filter((m) => DATABASE_OR_P2P.test(m)).map((m) => m.match(DATABASE_OR_P2P)![0])),
    ],
    daemon: local.map(rel).filter((m) => DAEMON.test(`/${m}`)),
  }
}

describe('what a client role loads', () => {
  for (const entry of ['node/sdk/index.ts', 'node/sdk/node-transport.ts', 'node/agent/index.ts']) {
    it(`${entry} loads no LevelDB, no libp2p, nothing of the daemon`, async () => {
      const modules = await modulesLoadedBy(entry)
      // The recorder saw the entry itself: an empty list would prove nothing.
      expect(modules.some((m) => m.endsWith(entry))).toBe(true)
      expect(offending(modules)).toEqual({ packages: [], daemon: [] })
    })
  }

  it("a Node program finds the SDK's Node transport at tcf/node-transport", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { nodeSdkTransport } = await import('tcf/node-transport'); console.log(nodeSdkTransport().name)",
      ],
      { cwd: ROOT },
    )
    expect(stdout.trim()).toBe('node:http')
  })

  it('the recorder does see LevelDB and libp2p where the daemon loads them', async () => {
    const { packages } = offending(await modulesLoadedBy('node/daemon.ts'))
    expect(packages).toEqual(expect.arrayContaining(['/node_modules/level/', '/node_modules/libp2p/']))
  })
})
