import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

/**
 * A scratch directory for one `vitest run` (a global setup of the projects that use it): test
 * files put there what is costly to make and the same for every file, such as a seeded committee's
 * evaluation keys, and the next file reads it instead. Made fresh for each run and removed after
 * it, so nothing made by another run, or by older code, is ever read back.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    runCacheDir: string
  }
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'tcf-run-cache-'))
  project.provide('runCacheDir', dir)
  return () => rm(dir, { recursive: true, force: true })
}
