import { type JsonRpcApiProviderOptions, JsonRpcProvider, type Network } from 'ethers'

/** One request to a node's API, as the SDK sends it. */
export interface HttpRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: Uint8Array | undefined
}

/** A node's whole answer: the SDK reads every answer to its end before looking at it. */
export interface HttpAnswer {
  readonly status: number
  readonly body: Uint8Array
}

/**
 * How the SDK reaches nodes and the chain. The default is what a browser has: `fetch`, and ethers'
 * own JSON-RPC provider over it. A Node process may install one built on Node's own http client
 * (node/sdk/node-transport.ts), which costs a buyer or an agent less CPU a call; what a call sends
 * and how its answer is checked stay the SDK's.
 */
export interface SdkTransport {
  readonly name: string
  /** Rejects only when no answer came (the caller maps that to UNREACHABLE); any status is an answer. */
  http(request: HttpRequest): Promise<HttpAnswer>
  /** A provider for the chain at `rpcUrl`, whose network the caller already knows. */
  provider(rpcUrl: string, network: Network, options: JsonRpcApiProviderOptions): JsonRpcProvider
}

export const fetchTransport: SdkTransport = {
  name: 'fetch',
  async http({ method, url, headers, body }) {
    // Typed as the DOM's BodyInit wants it too: the web app compiles this file against the DOM library.
    const sent = body as Uint8Array<ArrayBuffer> | undefined
    const response = await fetch(url, { method, headers, ...(sent ? { body: sent } : {}) })
    return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) }
  },
  provider: (rpcUrl, network, options) => new JsonRpcProvider(rpcUrl, network, options),
}

let current: SdkTransport = fetchTransport

/** Installs the transport for every client made from now on in this process. */
export function useSdkTransport(transport: SdkTransport): void {
  current = transport
}

/** The transport clients made now use. */
export function sdkTransport(): SdkTransport {
  return current
}
