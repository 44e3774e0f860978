import type { Address, ParamsOf, QueryOf, ResponseOf, Route, Routes } from '../../protocol/index.ts'

/** What a route's handler is given: its parameters parsed, its body, and who signed the request. */
export interface HandlerInput<R extends Route> {
  readonly params: ParamsOf<R>
  readonly query: QueryOf<R>
  /** bytes as sent; JSON as parsed, unchecked: the service decodes it with the contract's codec */
  readonly body: R['body'] extends { kind: 'bytes' }
    ? Uint8Array
    : R['body'] extends { kind: 'json' }
      ? unknown
      : undefined
  /** the verified signer: always there for a route signed by `request`, for `optional` when signed */
  readonly signer: Address | undefined
}

/** A text response comes with its own media type (Prometheus' exposition format). */
export interface TextResult {
  readonly contentType: string
  readonly text: string
}

/** undefined when what the route names is not here: the route's 404. */
export type Handler<R extends Route> = (
  input: HandlerInput<R>,
) => Promise<(R['response'] extends { kind: 'text' } ? TextResult : ResponseOf<R>) | undefined>

export type Handlers = { readonly [K in keyof Routes]: Handler<Routes[K]> }
