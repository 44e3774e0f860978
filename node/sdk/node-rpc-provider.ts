import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import {
  type JsonRpcApiProviderOptions,
  type JsonRpcPayload,
  JsonRpcProvider,
  type JsonRpcResult,
  makeError,
  type Networkish,
} from 'ethers'

/** How long one JSON-RPC request may take, by default, before it fails with ethers' TIMEOUT (transient). */
export const RPC_REQUEST_TIMEOUT_MS = 30_000

/**
 * An ethers JsonRpcProvider whose transport is Node's http client on kept-alive sockets. ethers'
 * own FetchRequest decodes every answer's UTF-8 in JavaScript and wraps each request in layers
 * of its own: ~4% of a validator's main thread in a burst (profiled), where every job's escrow and
 * vault are read at the chain's latest block. Everything above the transport (batching, error
 * mapping, the contract and transaction layers) is ethers' own.
 *
 * Failures surface as ethers' do: a socket error as itself (its code, ECONNREFUSED and the like),
 * a non-2xx answer as SERVER_ERROR, an answer that is not JSON as BAD_DATA, a request that takes
 * longer than `timeoutMs` (RPC_REQUEST_TIMEOUT_MS unless given) as TIMEOUT.
 */
export class NodeRpcProvider extends JsonRpcProvider {
  readonly #url: URL
  readonly #agent: HttpAgent
  readonly #timeoutMs: number

  constructor(
    url: string,
    network?: Networkish,
    options?: JsonRpcApiProviderOptions,
    timeoutMs = RPC_REQUEST_TIMEOUT_MS,
  ) {
    super(url, network, options)
    this.#url = new URL(url)
    this.#timeoutMs = timeoutMs
    // Enough sockets for the requests ethers keeps in flight at once; idle ones stay open.
    const agentOptions = { keepAlive: true, maxSockets: 8 }
    this.#agent = this.#url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions)
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const body = JSON.stringify(payload)
    const text = await this.#post(body)
    let answer: unknown
    try {
      answer = JSON.parse(text)
    } catch (error) {
      throw makeError('the JSON-RPC answer is not JSON', 'BAD_DATA', {
        value: text.slice(0, 200),
        info: { error },
      })
    }
    // Error answers included: ethers matches each to its request and maps it (JsonRpcError).
    return (Array.isArray(answer) ? answer : [answer]) as JsonRpcResult[]
  }

  override destroy(): void {
    this.#agent.destroy()
    super.destroy()
  }

  #post(body: string): Promise<string> {
    const url = this.#url
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: this.#timeoutMs,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            const status = res.statusCode ?? 0
            if (status < 200 || status >= 300) {
              reject(
                makeError(`the JSON-RPC server answered ${status}`, 'SERVER_ERROR', {
                  request: url.href,
                  info: { status, body: text.slice(0, 200) },
                }),
              )
              return
            }
            resolve(text)
          })
        },
      )
      req.on('timeout', () => {
        const reason = `no JSON-RPC answer within ${this.#timeoutMs} ms`
        req.destroy(makeError(reason, 'TIMEOUT', { operation: 'send', reason }))
      })
      req.on('error', reject)
      req.end(body)
    })
  }
}
