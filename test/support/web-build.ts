import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const repo = new URL('../..', import.meta.url).pathname

/** Debian's chromium, which the browser tests drive through playwright-core. */
export const CHROMIUM = process.env.TCF_CHROMIUM ?? '/usr/bin/chromium'

/**
 * A fresh build of web/ into a temporary directory (the caller removes it): a test's own build, so
 * that web/dist, which other suites' nodes serve, is never rebuilt under them.
 */
export async function buildWebApp(): Promise<string> {
  const dist = await mkdtemp(join(tmpdir(), 'tcf-web-'))
  await run(
    'npx',
    [
      'vite',
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'error',
      '--outDir',
      dist,
      '--emptyOutDir',
    ],
    { cwd: repo },
  )
  return dist
}
