import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { NodeRpcProvider } from './node-rpc-provider.ts'
import type { HttpAnswer, HttpRequest, SdkTransport } from './transport.ts'

/** Sockets kept open to one node: a busy buyer or agent has a dozen calls in flight at once. */
const SOCKETS_PER_NODE = 16

/**
 * The SDK's transport for Node processes (the CLI, the vault agent, the benchmarks): Node's http
 * client on kept-alive sockets for the nodes' APIs, and ethers' provider over the same for the
 * chain (NodeRpcProvider). `fetch` (undici) wraps every call in web streams and a controller of its
 * own: ~15% of the bench's buyers-and-agent process in a burst, where each job is a handful of
 * small calls. Not part of the browser's SDK: `node/index.ts` exports it and the CLI installs it.
 */
export function nodeSdkTransport(): SdkTransport {
  // Node's agents unref a socket while it idles, so kept-alive sockets never hold a process open.
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets: SOCKETS_PER_NODE }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: SOCKETS_PER_NODE }),
  }
  return {
    name: 'node:http',
    http: (request) => send(request, agents, true),
    provider: (rpcUrl, network, options) => new NodeRpcProvider(rpcUrl, network, options),
  }
}

function send(
  request: HttpRequest,
  agents: { readonly 'http:': HttpAgent; readonly 'https:': HttpsAgent },
  retryOnStaleSocket: boolean,
): Promise<HttpAnswer> {
  const url = new URL(request.url)
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return Promise.reject(new TypeError(`not an http(s) URL: ${request.url}`))
  const secure = url.protocol === 'https:'
  const call = secure ? httpsRequest : httpRequest
  const agent = secure ? agents['https:'] : agents['http:']
  const headers: Record<string, string | number> = { ...request.headers }
  if (request.body) headers['content-length'] = request.body.byteLength
  return new Promise<HttpAnswer>((resolve, reject) => {
    let req: ClientRequest
    try {
      req = call(url, { method: request.method, headers, agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
          resolve({
            status: res.statusCode ?? 0,
            body: new Uint8Array(body.buffer, body.byteOffset, body.length),
          })
        })
      })
    } catch (e) {
      reject(e)
      return
    }
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed while idle fails the next request sent on it (Node's
      // documented case). A read is sent once more on a fresh socket; a write is not, since the
      // server may have taken it before the socket went down (the caller sees UNREACHABLE).
      const read = request.method === 'GET' || request.method === 'HEAD'
      if (retryOnStaleSocket && read && req.reusedSocket && error.code === 'ECONNRESET') {
        send(request, agents, false).then(resolve, reject)
        return
      }
      reject(error)
    })
    req.end(request.body)
  })
}
