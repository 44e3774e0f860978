import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { freePorts } from './free-ports.ts'

describe('freePorts', () => {
  it('hands out distinct ports below the ephemeral range, each one bindable', async () => {
    const [ephemeralLow] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number)
    const ports = await freePorts(12)
    expect(new Set(ports).size).toBe(12)
    for (const port of ports) {
      expect(port).toBeLessThan(ephemeralLow!)
      const server = createServer()
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, '127.0.0.1', resolve)
      })
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('skips a port something already listens on', async () => {
    const [taken] = await freePorts(1)
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(taken, '127.0.0.1', resolve))
    // The walk starts where Math.random points it: here, at the taken port.
    const random = vi.spyOn(Math, 'random').mockReturnValue((taken! - 20_000 + 0.5) / 12_000)
    try {
      const ports = await freePorts(3)
      expect(ports).not.toContain(taken)
      expect(ports).toHaveLength(3)
    } finally {
      random.mockRestore()
      await new Promise((resolve) => holder.close(resolve))
    }
  })
})
