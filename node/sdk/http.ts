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
import { type HttpAnswer, sdkTransport } from './transport.ts'

const utf8 = new TextDecoder()

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

  #read<R extends Route>(route: R, path: string, response: HttpAnswer): ResponseOf<R> {
    const what = `${route.method} ${path}`
    if (route.response.kind === 'bytes') return response.body as ResponseOf<R>
    if (route.response.kind === 'text') return utf8.decode(response.body) as ResponseOf<R>
    let body: unknown
    try {
      body = JSON.parse(utf8.decode(response.body))
    } catch (cause) {
      throw new ClientError('BAD_RESPONSE', `${what}: the node answered ${response.status} without JSON`, {
        cause,
      })
    }
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
  ): Promise<{ path: string; response: HttpAnswer }> {
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
    let response: HttpAnswer
    try {
      response = await sdkTransport().http({ method, url: `${this.url}${path}`, headers, body })
    } catch (cause) {
      throw new ClientError('UNREACHABLE', `cannot reach ${this.url}: ${String(cause)}`, { cause })
    }
    const ok = response.status >= 200 && response.status < 300
    if (ok || (absentIsAnswer && response.status === 404)) return { path, response }
    const text = utf8.decode(response.body)
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
