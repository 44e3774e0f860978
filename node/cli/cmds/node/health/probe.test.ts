import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { CliError } from '../../../errors.ts'
import { probeHealth } from './probe.ts'

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const { port } = server.address() as { port: number }
  await new Promise((ok) => server.close(ok))
  return port
}

describe('probeHealth', () => {
  it('calls a node that does not answer unhealthy, with a typed error naming it', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const error = await probeHealth(url, { withinMs: 1000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).code).toBe('NODE_UNHEALTHY')
    expect((error as CliError).message).toContain(url)
  })
})
