import type { z } from 'zod'

export type HttpMethod = 'GET' | 'POST' | 'PUT'

/**
 * A path or query parameter: the schema that turns the URL's string into its value, and the
 * refusal (400) a request gets when it does not.
 */
export interface ParamSpec<T> {
  readonly schema: z.ZodType<T, string>
  readonly code: string
  readonly message: string
  readonly description: string
}

/**
 * Who vouches for a request. `request`: the caller's EIP-191 signature over method, path, time and
 * body in the x-tcf-* headers (signing.ts), required. `optional`: the same, sent when the caller
 * has a key; some content is served only to a signed request. `body`: the body carries its own
 * EIP-712 signature (a job request, a release), so the request needs none. `none`: anyone.
 */
export type Signing = 'none' | 'request' | 'optional' | 'body'

export type BodySpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly schema: z.ZodType; readonly name: string }
  | { readonly kind: 'bytes' }

export type ResponseSpec =
  | {
      readonly kind: 'json'
      readonly status: 200 | 201 | 202
      readonly schema: z.ZodType
      /** a component name, for schemas the OpenAPI document shares between routes */
      readonly name?: string
    }
  | { readonly kind: 'bytes'; readonly status: 200 }
  | { readonly kind: 'text'; readonly status: 200 }

type Params = Readonly<Record<string, ParamSpec<unknown>>>

/** One HTTP route, defined once: the server registers it, the SDK calls it, the OpenAPI document describes it. */
export interface Route<
  P extends Params = Params,
  Q extends Params = Params,
  B extends BodySpec = BodySpec,
  R extends ResponseSpec = ResponseSpec,
> {
  readonly method: HttpMethod
  /** with `:name` for each path parameter */
  readonly path: string
  readonly summary: string
  readonly params: P
  /** every query parameter is optional */
  readonly query: Q
  readonly body: B
  readonly response: R
  readonly signing: Signing
  /** the 404 answered when what the route names is not here: a client reads it as "absent" */
  readonly absent?: { readonly code: string; message(params: ValuesOf<P>): string }
}

type ValuesOf<P extends Params> = { readonly [K in keyof P]: P[K] extends ParamSpec<infer T> ? T : never }

export type ParamsOf<R extends Route> = ValuesOf<R['params']>
export type QueryOf<R extends Route> = Partial<ValuesOf<R['query']>>
export type BodyOf<R extends Route> = R['body'] extends { kind: 'json'; schema: infer S extends z.ZodType }
  ? z.input<S>
  : R['body'] extends { kind: 'bytes' }
    ? Uint8Array
    : undefined
export type ResponseOf<R extends Route> = R['response'] extends {
  kind: 'json'
  schema: infer S extends z.ZodType
}
  ? z.output<S>
  : R['response'] extends { kind: 'bytes' }
    ? Uint8Array
    : string

const NO_BODY = { kind: 'none' } as const

/** A route, with what most routes have left out: no path parameters, no query, no body, no signature. */
export function route<
  R extends ResponseSpec,
  P extends Params = Record<never, never>,
  Q extends Params = Record<never, never>,
  B extends BodySpec = typeof NO_BODY,
>(
  definition: Omit<Route<P, Q, B, R>, 'params' | 'query' | 'body' | 'signing'> &
    Partial<Pick<Route<P, Q, B, R>, 'params' | 'query' | 'body' | 'signing'>>,
): Route<P, Q, B, R> {
  return {
    ...definition,
    params: definition.params ?? ({} as P),
    query: definition.query ?? ({} as Q),
    body: definition.body ?? (NO_BODY as B),
    signing: definition.signing ?? 'none',
  }
}

/** The route's path with its parameters filled in, each URL-encoded. */
export function pathOf(r: Route, params: Readonly<Record<string, unknown>>): string {
  return r.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    if (!(name in params)) throw new TypeError(`${r.method} ${r.path} needs the parameter ${name}`)
    return encodeURIComponent(String(params[name]))
  })
}

/** The route's path and query string, as sent and as signed. */
export function urlOf(r: Route, params: Readonly<Record<string, unknown>>, query: object = {}): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value))
  return search.size > 0 ? `${pathOf(r, params)}?${search}` : pathOf(r, params)
}
