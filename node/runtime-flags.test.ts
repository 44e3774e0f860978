import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { NODE_RUNTIME_FLAGS } from './runtime-flags.ts'

const root = (path: string) => new URL(`../${path}`, import.meta.url)
const run = promisify(execFile)

/** Allocates short-lived objects until the young generation is as large as it grows; its size in MB. */
const YOUNG_GENERATION_PROBE = `
const v8 = require('node:v8'); let keep = []; let max = 0
for (let i = 0; i < 2e6; i++) {
  keep.push({ i, list: [i] }); if (keep.length > 100000) keep = []
  if (i % 50000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)
}
process.stdout.write(String(max / 2 ** 20))`

describe('the runtime flags', () => {
  it('are what the executable, the container image and the devnets start node with', async () => {
    const shebang = (await readFile(root('bin/tcf.ts'), 'utf8')).split('\n')[0]
    expect(shebang).toBe(`#!/usr/bin/env -S node ${NODE_RUNTIME_FLAGS.join(' ')}`)
    const dockerfile = await readFile(root('Dockerfile'), 'utf8')
    expect(dockerfile).toContain(`ENV NODE_OPTIONS=${NODE_RUNTIME_FLAGS.join(' ')}\n`)
    const scripts = (
      JSON.parse(await readFile(root('package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts
    expect(scripts.tcf).toBe(`node ${NODE_RUNTIME_FLAGS.join(' ')} bin/tcf.ts`)
    for (const launcher of ['devnet/cluster.ts', 'devnet/chaos/validator.ts'])
      expect(await readFile(root(launcher), 'utf8')).toContain('...NODE_RUNTIME_FLAGS')
  })

  it('bound the young generation to two 32 MB semi-spaces', async () => {
    const youngMb = async (flags: readonly string[]) =>
      Number((await run(process.execPath, [...flags, '-e', YOUNG_GENERATION_PROBE])).stdout)
    // Unflagged, V8 sizes it from the machine's memory (128 MB on the 24 GiB machines measured).
    const [flagged, unflagged] = await Promise.all([youngMb(NODE_RUNTIME_FLAGS), youngMb([])])
    expect(flagged).toBeLessThanOrEqual(Math.min(64, unflagged))
  })
})
