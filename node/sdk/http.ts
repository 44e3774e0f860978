import type { Hex32 } from '../../protocol/index.ts'
import { signRequest } from '../api/signed-request.ts'
import { ClientError } from './errors.ts'

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT'
  /** JSON value, or raw bytes sent as application/octet-stream */
  readonly body?: unknown
  /** sign the request with this key (EIP-191 headers of node/api/signed-request.ts) */
  readonly signWith?: Hex32
  /** statuses that mean "absent" rather than an error: answered as undefined */
  readonly absentOn?: readonly number[]
}

/** One node's HTTP API: JSON in and out, `{error: {code, message}}` mapped to ClientError. */
export class NodeApi {
  readonly url: string

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '')
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#fetch(path, options)
    return (await response.json().catch((cause: unknown) => {
      throw new ClientError('BAD_RESPONSE', `${path}: the node answered ${response.status} without JSON`, {
        cause,
      })
    })) as T
  }

  async maybeJson<T>(path: string, options: RequestOptions = {}): Promise<T | undefined> {
    const response = await this.#fetch(path, { ...options, absentOn: options.absentOn ?? [404] })
    if (response.status === 404) return undefined
    return (await response.json()) as T
  }

  async bytes(path: string, signWith?: Hex32): Promise<Uint8Array | undefined> {
    const response = await this.#fetch(path, { absentOn: [404], ...(signWith ? { signWith } : {}) })
    if (response.status === 404) return undefined
    return new Uint8Array(await response.arrayBuffer())
  }

  async #fetch(path: string, options: RequestOptions): Promise<Response> {
    const method = options.method ?? 'GET'
    const headers: Record<string, string> = {}
    let body: Uint8Array | undefined
    if (options.body instanceof Uint8Array) {
      body = options.body
      headers['content-type'] = 'application/octet-stream'
    } else if (options.body !== undefined) {
      body = new TextEncoder().encode(JSON.stringify(options.body))
      headers['content-type'] = 'application/json'
    }
    if (options.signWith)
      Object.assign(headers, signRequest(options.signWith, method, path, body ?? new Uint8Array()))
    let response: Response
    try {
      response = await fetch(`${this.url}${path}`, { method, headers, ...(body ? { body } : {}) })
    } catch (cause) {
      throw new ClientError('UNREACHABLE', `cannot reach ${this.url}: ${String(cause)}`, { cause })
    }
    if (response.ok || options.absentOn?.includes(response.status)) return response
    const text = await response.text()
    let apiCode = 'HTTP_ERROR'
    let message = text.slice(0, 500)
    try {
      const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error
      if (typeof error?.code === 'string') apiCode = error.code
      if (typeof error?.message === 'string') message = error.message
    } catch {
      // not JSON: keep the raw text
    }
    throw new ClientError('API_ERROR', `${method} ${path}: ${response.status} ${apiCode}: ${message}`, {
      status: response.status,
      apiCode,
    })
  }
}
