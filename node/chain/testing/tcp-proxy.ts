import { connect, createServer, type Server, type Socket } from 'node:net'

/** A loopback TCP relay that a test can cut and restore, to make an RPC endpoint briefly unreachable. */
export interface TcpProxy {
  readonly url: string
  /** Stops listening and drops every open connection. */
  cut(): Promise<void>
  /** Listens again on the same port. */
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1')
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on('close', () => sockets.delete(socket))
          socket.on('error', () => {
            client.destroy()
            upstream.destroy()
          })
        }
        client.pipe(upstream).pipe(client)
      })
      s.once('error', reject)
      s.listen(port, '127.0.0.1', () => {
        const address = s.address()
        if (address !== null && typeof address === 'object') port = address.port
        server = s
        resolve()
      })
    })

  const cut = async () => {
    const s = server
    server = undefined
    for (const socket of sockets) socket.destroy()
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()))
  }

  await listen()
  return { url: `http://127.0.0.1:${port}`, cut, restore: listen, close: cut }
}
