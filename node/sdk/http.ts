import {
  apiErrorBodySchema,
  type BodyOf,
  type Hex32,
  type ParamsOf,
  type QueryOf,
  type ResponseOf,
  type Route,
  signRequest,
  urlOf,
} from '../../protocol/index.ts'
import { ClientError } from './errors.ts'

/** What a call of a route sends: its path parameters, query and body, typed by the contract. */
export type CallInput<R extends Route> = (keyof R['params'] extends never
  ? { readonly params?: undefined }
  : { readonly params: ParamsOf<R> }) & { readonly query?: QueryOf<R> } & (R['body'] extends {
    kind: 'none'
  }
    ? { readonly body?: undefined }
    : { readonly body: BodyOf<R> })

export interface CallOptions {
  /** sign the request with this key (the x-tcf-* headers of protocol/api/signing.ts) */
  readonly signWith?: Hex32
}

/**
 * One node's HTTP API, called route by route from the contract (protocol/api/routes.ts): JSON
 * answers are parsed by the route's schema (else BAD_RESPONSE), `{error: {code, message}}` is
 * mapped to ClientError API_ERROR.
 */
export class NodeApi {
  readonly url: string

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '')
  }

  async call<R extends Route>(
    route: R,
    input: CallInput<R>,
    options: CallOptions = {},
  ): Promise<ResponseOf<R>> {
    const { path, response } = await this.#fetch(route, input, options, false)
    return this.#read(route, path, response)
  }

  /** As `call`, but a 404 (what the route names is not on this node) is undefined. */
  async maybe<R extends Route>(
    route: R,
    input: CallInput<R>,
    options: CallOptions = {},
  ): Promise<ResponseOf<R> | undefined> {
    const { path, response } = await this.#fetch(route, input, options, true)
    if (response.status === 404) return undefined
    return this.#read(route, path, response)
  }

  async #read<R extends Route>(route: R, path: string, response: Response): Promise<ResponseOf<R>> {
    const what = `${route.method} ${path}`
    if (route.response.kind === 'bytes') return new Uint8Array(await response.arrayBuffer()) as ResponseOf<R>
    if (route.response.kind === 'text') return (await response.text()) as ResponseOf<R>
    const body: unknown = await response.json().catch((cause: unknown) => {
      throw new ClientError('BAD_RESPONSE', `${what}: the node answered ${response.status} without JSON`, {
        cause,
      })
    })
    const parsed = route.response.schema.safeParse(body)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new ClientError(
        'BAD_RESPONSE',
        `${what}: the answer breaks the API contract at ${issue?.path.join('.') || 'the top'}: ${issue?.message}`,
      )
    }
    return parsed.data as ResponseOf<R>
  }

  async #fetch<R extends Route>(
    route: R,
    input: CallInput<R>,
    options: CallOptions,
    absentIsAnswer: boolean,
  ): Promise<{ path: string; response: Response }> {
    const { method } = route
    const path = urlOf(route, input.params ?? {}, input.query)
    const headers: Record<string, string> = {}
    let body: Uint8Array | undefined
    if (input.body instanceof Uint8Array) {
      body = input.body
      headers['content-type'] = 'application/octet-stream'
    } else if (input.body !== undefined) {
      body = new TextEncoder().encode(JSON.stringify(input.body))
      headers['content-type'] = 'application/json'
    }
    if (options.signWith)
      Object.assign(headers, signRequest(options.signWith, method, path, body ?? new Uint8Array()))
    let response: Response
    try {
      // Typed as the DOM's BodyInit wants it too: the web app compiles this file against the DOM library.
      const sent = body as Uint8Array<ArrayBuffer> | undefined
      response = await fetch(`${this.url}${path}`, { method, headers, ...(sent ? { body: sent } : {}) })
    } catch (cause) {
      throw new ClientError('UNREACHABLE', `cannot reach ${this.url}: ${String(cause)}`, { cause })
    }
    if (response.ok || (absentIsAnswer && response.status === 404)) return { path, response }
    const text = await response.text()
    let apiCode = 'HTTP_ERROR'
    let message = text.slice(0, 500)
    let details: Record<string, unknown> | undefined
    try {
      const refusal = apiErrorBodySchema.safeParse(JSON.parse(text))
      if (refusal.success) {
        const { code, message: said, ...rest } = refusal.data.error
        ;[apiCode, message] = [code, said]
        if (Object.keys(rest).length > 0) details = rest
      }
    } catch {
      // not JSON: keep the raw text
    }
    throw new ClientError('API_ERROR', `${method} ${path}: ${response.status} ${apiCode}: ${message}`, {
      status: response.status,
      apiCode,
      ...(details ? { details } : {}),
    })
  }
}
