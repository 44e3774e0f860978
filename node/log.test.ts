import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { LOG_FLUSH_MS } from './log.ts'

const LOG = new URL('./log.ts', import.meta.url).pathname

interface Line {
  readonly msg: string
  /** ms before the process closed that the line reached the parent */
  readonly beforeClose: number
}

/** Runs `body` in a child process with `log = createLogger(...)` in scope; its log lines as they came. */
async function child(body: string): Promise<Line[]> {
  const script = `import { createLogger } from ${JSON.stringify(LOG)}
const log = createLogger({ level: 'info' })
const block = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
${body}`
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const arrivals: { text: string; at: number }[] = []
  proc.stdout.on('data', (chunk: Buffer) => arrivals.push({ text: chunk.toString(), at: Date.now() }))
  await new Promise((resolve) => proc.on('close', resolve))
  const closed = Date.now()
  return arrivals.flatMap(({ text, at }) =>
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => ({ msg: (JSON.parse(l) as { msg: string }).msg, beforeClose: closed - at })),
  )
}

describe('the node logger', () => {
  it('holds lines instead of writing each at once, and writes them all, in order, when the process exits', async () => {
    // Blocked for 500 ms after the first lines: a logger that wrote each line at once would have
    // delivered them long before the exit.
    const lines = await child(`
      for (let i = 0; i < 3; i++) log.info('held ' + i)
      block(500)
      log.info('last')
      process.exit(3)`)
    expect(lines.map((l) => l.msg)).toEqual(['held 0', 'held 1', 'held 2', 'last'])
    for (const line of lines) expect(line.beforeClose).toBeLessThan(250)
  })

  it(`writes a held line within ${LOG_FLUSH_MS} ms while the process runs`, async () => {
    const lines = await child(`
      log.info('first')
      await new Promise((resolve) => setTimeout(resolve, 600))`)
    expect(lines.map((l) => l.msg)).toEqual(['first'])
    expect(lines[0]!.beforeClose).toBeGreaterThan(300)
  })

  it('writes a burst of lines whole, in order, as soon as 4 KB are held', async () => {
    const lines = await child(`
      for (let i = 0; i < 500; i++) log.info('line ' + i)
      block(500)`)
    expect(lines.map((l) => l.msg)).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i}`))
    // Most of them out before the 500 ms block ended: the size bound, not the timer, wrote them.
    expect(lines.filter((l) => l.beforeClose > 300).length).toBeGreaterThan(400)
  })
})
