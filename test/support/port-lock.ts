import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The devnets publish fixed ports (8545, 7600-7603, 7700-7703), and vitest
 * runs test files in parallel: a test that starts one holds this lock for its
 * run. A lock whose holder died is taken over.
 */
const LOCK = join(tmpdir(), 'tcf-devnet-ports.lock')

export async function withDevnetPorts<T>(run: () => Promise<T>, timeoutMs = 900_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await mkdir(LOCK)
      break
    } catch {
      const holder = Number(await readFile(join(LOCK, 'pid'), 'utf8').catch(() => 'NaN'))
      if (Number.isInteger(holder) && !alive(holder)) await rm(LOCK, { recursive: true, force: true })
      else if (Date.now() > deadline) throw new Error(`the devnet ports stayed held by pid ${holder}`)
      else await new Promise((ok) => setTimeout(ok, 1000))
    }
  }
  await writeFile(join(LOCK, 'pid'), String(process.pid))
  try {
    return await run()
  } finally {
    await rm(LOCK, { recursive: true, force: true })
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
