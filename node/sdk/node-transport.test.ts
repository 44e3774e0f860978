import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ROUTES } from '../../protocol/index.ts'
import { ClientError } from './errors.ts'
import { NodeApi } from './http.ts'
import { nodeSdkTransport } from './node-transport.ts'
import { fetchTransport, type HttpRequest, type SdkTransport, useSdkTransport } from './transport.ts'

const servers: Server[] = []
afterEach(async () => {
  useSdkTransport(fetchTransport)
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections()
      return new Promise((resolve) => s.close(resolve))
    }),
  )
})

/** A server on loopback answering with `handle`; it echoes what it was sent unless told otherwise. */
async function serve(
  handle: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void,
): Promise<{ url: string; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, Buffer.concat(chunks), res))
  })
  server.on('connection', (s) => sockets.add(s))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets }
}

const echo = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
  res.writeHead(req.url === '/teapot' ? 418 : 200, { 'content-type': 'application/octet-stream' })
  res.end(Buffer.concat([Buffer.from(`${req.method} ${req.url} ${req.headers['x-tcf-test'] ?? '-'} `), body]))
}

const answerOf = async (transport: SdkTransport, request: HttpRequest) => {
  const answer = await transport.http(request)
  return { status: answer.status, body: Buffer.from(answer.body).toString() }
}

describe("the SDK's Node transport", () => {
  it('answers every request as fetch does: status, headers sent, body both ways', async () => {
    const { url } = await serve(echo)
    const node = nodeSdkTransport()
    const requests: HttpRequest[] = [
      { method: 'GET', url: `${url}/v1/status`, headers: {} },
      {
        method: 'POST',
        url: `${url}/v1/jobs`,
        headers: { 'x-tcf-test': 'signed' },
        body: Buffer.from('{"a":1}'),
      },
      { method: 'GET', url: `${url}/teapot`, headers: {} },
      { method: 'POST', url: `${url}/big`, headers: {}, body: new Uint8Array(3 << 20).fill(7) },
    ]
    for (const request of requests) {
      expect(await answerOf(node, request)).toEqual(await answerOf(fetchTransport, request))
    }
  })

  it('keeps sockets alive between calls', async () => {
    const { url, sockets } = await serve(echo)
    const node = nodeSdkTransport()
    for (let i = 0; i < 5; i++) await node.http({ method: 'GET', url: `${url}/v1/status`, headers: {} })
    expect(sockets.size).toBe(1)
  })

  it('sends a read again when the server dropped the kept-alive socket, never a write', async () => {
    let seen = 0
    const { url } = await serve((req, body, res) => {
      seen++
      // The second request on the first socket: the server drops the connection without answering.
      if (seen === 2) {
        req.socket.destroy()
        return
      }
      echo(req, body, res)
    })
    const node = nodeSdkTransport()
    const get = { method: 'GET', url: `${url}/v1/status`, headers: {} }
    await node.http(get)
    expect(await answerOf(node, get)).toEqual({ status: 200, body: 'GET /v1/status - ' })
    expect(seen).toBe(3)
    // Now a write on a kept-alive socket the server drops: refused, not sent twice.
    seen = 1
    await expect(node.http({ ...get, method: 'POST', body: Buffer.from('x') })).rejects.toMatchObject({
      code: 'ECONNRESET',
    })
    expect(seen).toBe(2)
  })

  it('rejects when nothing answers, which the client reports as UNREACHABLE', async () => {
    const { url } = await serve(echo)
    const port = new URL(url).port
    servers[0]!.closeAllConnections()
    await new Promise((resolve) => servers.splice(0)[0]!.close(resolve))
    useSdkTransport(nodeSdkTransport())
    const error = await new NodeApi(`http://127.0.0.1:${port}`)
      .call(ROUTES.status, {})
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ClientError)
    expect(error).toMatchObject({ code: 'UNREACHABLE' })
  })

  it("carries the API's refusals and contract checks unchanged", async () => {
    const { url } = await serve((req, _body, res) => {
      if (req.url === '/v1/status') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"not":"a status"}')
        return
      }
      res.writeHead(409, { 'content-type': 'application/json' })
      res.end('{"error":{"code":"JOB_EXISTS","message":"known"}}')
    })
    useSdkTransport(nodeSdkTransport())
    const api = new NodeApi(url)
    await expect(api.call(ROUTES.status, {})).rejects.toMatchObject({ code: 'BAD_RESPONSE' })
    await expect(api.call(ROUTES.job, { params: { id: `0x${'1'.repeat(64)}` } })).rejects.toMatchObject({
      code: 'API_ERROR',
      status: 409,
      apiCode: 'JOB_EXISTS',
    })
  })
})
