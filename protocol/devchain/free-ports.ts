import { createServer } from 'node:net'
import { TcfError } from '../errors.ts'

export class NoFreePortError extends TcfError {
  readonly code = 'NO_FREE_PORT'
  override readonly name = 'NoFreePortError'
}

/**
 * Listening ports for processes started later (a dev chain, daemons), taken below Linux's
 * ephemeral range (32768–60999). A port the OS hands out for `listen(0)` lies inside that range,
 * and so does the local port of every outbound connection: between choosing a port and the daemon
 * binding it, seconds later, any connection on the machine could take it and the daemon would exit
 * with EADDRINUSE (a CI run lost a four-node cluster that way). Below the range only another
 * explicit bind can collide, and each port is probed free before it is handed out.
 */
const LOW = 20_000
const HIGH = 32_000

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = []
  const span = HIGH - LOW
  const start = Math.floor(Math.random() * span)
  for (let step = 0; step < span && ports.length < count; step++) {
    const port = LOW + ((start + step * 7919) % span)
    if (!ports.includes(port) && (await canListen(port, host))) ports.push(port)
  }
  if (ports.length < count)
    throw new NoFreePortError(`found ${ports.length} of ${count} free ports in ${LOW}–${HIGH} on ${host}`)
  return ports
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)))
  })
}
