import rateLimit from '@fastify/rate-limit'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import {
  type Address,
  type ParamSpec,
  ROUTES,
  type Route,
  type RouteName,
  SIGNATURE_HEADERS,
  type SignatureCheck,
  TcfError,
  type VaultManifest,
  verifyRequest,
} from '../../protocol/index.ts'
import type { Handler, HandlerInput, Handlers, TextResult } from './handler.ts'
import { IpCeiling } from './ip-ceiling.ts'
import { openApiDocument } from './openapi.ts'
import { refusalAnswer } from './refusals.ts'
import { ApiError, type NodeService } from './service.ts'
import { DEFAULT_WEB_ROOT, serveWebApp } from './web.ts'

export interface ApiInit {
  readonly host: string
  readonly port: number
  readonly service: NodeService
  readonly logger: Logger
  /** Prometheus exposition of the node's metrics */
  readonly metrics?: { readonly contentType: string; render(): Promise<string> }
  /** largest blob upload, bytes */
  readonly maxBlobBytes?: number
  /** largest JSON body, bytes (a manifest lists every chunk id) */
  readonly maxJsonBytes?: number
  /** requests per client (a verified signer with standing, else the IP) per minute */
  readonly rateLimitPerMinute?: number
  /** check every JSON response against the contract's schema (tests): a mismatch is 500 RESPONSE_CONTRACT */
  readonly checkResponses?: boolean
  /** the built web app served at / (web/dist by default); false serves the API alone */
  readonly webRoot?: string | false
}

/** The per-IP ceiling, counted before bodies are read, in multiples of the per-client rate limit. */
const IP_CEILING_FACTOR = 4
/** Fastify's own failures, mapped to this API's stable codes. */
const FRAMEWORK_CODES: Readonly<Record<number, string>> = {
  400: 'MALFORMED',
  404: 'NOT_FOUND',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
}

/** The raw body of a request, kept for signature checks. */
const rawBodies = new WeakMap<FastifyRequest, Uint8Array>()
/** A request's signature, checked once for the rate limiter and the route alike. */
const signatureChecks = new WeakMap<FastifyRequest, SignatureCheck>()

function verified(request: FastifyRequest): SignatureCheck {
  let check = signatureChecks.get(request)
  if (!check) {
    const body = rawBodies.get(request) ?? new Uint8Array()
    check = verifyRequest(request.headers, request.method, request.url, body)
    signatureChecks.set(request, check)
  }
  return check
}

/**
 * The node's JSON HTTP API: the routes of the contract (protocol/api/routes.ts), described at
 * /openapi.json. Writes carry a signature: job requests and releases their own EIP-712 one, blob
 * uploads and vault publications the caller's request signature. Every error is
 * `{ error: { code, message } }` with a stable code.
 */
export class ApiServer {
  readonly #init: ApiInit
  readonly #app: FastifyInstance
  #address: string | undefined

  constructor(init: ApiInit) {
    this.#init = init
    this.#app = Fastify({
      loggerInstance: init.logger.child({ module: 'api' }) as unknown as FastifyBaseLogger,
      bodyLimit: init.maxJsonBytes ?? 2 * 2 ** 20,
      disableRequestLogging: true,
    })
  }

  /** http://host:port once started */
  get url(): string {
    if (!this.#address) throw new ApiError(500, 'NOT_STARTED', 'the API is not started')
    return this.#address
  }

  async start(): Promise<void> {
    await this.#routes()
    this.#address = await this.#app.listen({ host: this.#init.host, port: this.#init.port })
  }

  async stop(): Promise<void> {
    await this.#app.close()
  }

  async #routes(): Promise<void> {
    const app = this.#app
    const { service } = this.#init
    await app.register(rateLimit, {
      max: this.#init.rateLimitPerMinute ?? 1200,
      timeWindow: 60_000,
      // After parsing: the signature covers the body. A header names anyone, and fresh keys cost
      // nothing, so only a verified signer the node knows (a validator, a vault owner) gets a bucket
      // of its own; everyone else shares their IP's.
      hook: 'preHandler',
      keyGenerator: (request) => {
        const check = verified(request)
        return check.ok && service.hasStanding(check.address) ? `signer:${check.address}` : `ip:${request.ip}`
      },
      errorResponseBuilder: (_request, context) =>
        new ApiError(
          429,
          'RATE_LIMITED',
          `more than ${context.max} requests per minute; retry in ${context.after}`,
        ),
    })
    // A signer with standing may send more than one IP's share, so the ceiling is a multiple of it.
    const ceiling = new IpCeiling(IP_CEILING_FACTOR * (this.#init.rateLimitPerMinute ?? 1200))
    app.addHook('onRequest', async (request) => {
      if (!ceiling.admit(request.ip)) {
        throw new ApiError(
          429,
          'RATE_LIMITED',
          `too many requests from ${request.ip}; retry in ${ceiling.retryAfterSeconds()} seconds`,
        )
      }
    })
    app.removeAllContentTypeParsers()
    app.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: this.#init.maxBlobBytes ?? 64 * 2 ** 20 },
      (request, body, done) => {
        rawBodies.set(request, body as Buffer)
        done(null, body)
      },
    )
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      rawBodies.set(request, body as Buffer)
      try {
        done(null, JSON.parse((body as Buffer).toString('utf8')))
      } catch {
        done(new ApiError(400, 'MALFORMED_JSON', 'the body is not valid JSON'), undefined)
      }
    })
    app.setErrorHandler((error, _request, reply) => {
      const refused = refusalAnswer(error)
      if (refused) return reply.status(refused.status).send(refused.body)
      const e = error as { statusCode?: number; code?: unknown; message: string; field?: string }
      if (e.statusCode !== undefined && e.statusCode < 500) {
        const code = FRAMEWORK_CODES[e.statusCode] ?? 'BAD_REQUEST'
        return reply.status(e.statusCode).send({ error: { code, message: e.message } })
      }
      // Errors tcf raises on purpose carry a stable code: the input was at fault. Anything else (a
      // Node ENOENT, a library's ERR_*) is ours, and its message stays in the log.
      if (error instanceof TcfError) {
        return reply
          .status(422)
          .send({ error: { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } })
      }
      this.#init.logger.error({ err: error }, 'API request failed')
      return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } })
    })
    app.setNotFoundHandler((request, reply) =>
      reply
        .status(404)
        .send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } }),
    )

    const handlers = this.#handlers()
    for (const name of Object.keys(ROUTES) as RouteName[]) {
      this.#register(ROUTES[name], handlers[name] as Handler<Route>)
    }
    const webRoot = this.#init.webRoot ?? DEFAULT_WEB_ROOT
    if (webRoot !== false) await serveWebApp(app, webRoot, async () => (await service.status()).chain.rpcUrl)
  }

  /** What each route of the contract does here: the node's service, and the node's own documents. */
  #handlers(): Handlers {
    const { service, metrics } = this.#init
    return {
      openapi: async () => openApiDocument(),
      metrics: async () =>
        metrics ? { contentType: metrics.contentType, text: await metrics.render() } : undefined,
      status: () => service.status(),
      putBlob: async ({ params, query, body, signer }) => {
        await service.putBlob(params.id, body, {
          signer: signer as Address,
          ...(query.vault === undefined ? {} : { vaultId: query.vault }),
        })
        return { id: params.id }
      },
      getBlob: ({ params, signer }) => service.getBlob(params.id, signer),
      announceVault: ({ body, signer }) => service.announceVault(body, signer as Address),
      publishVault: ({ body, signer }) => service.publishVault(body, signer as Address),
      vaults: async () => ({ vaults: await service.vaults() }),
      vault: ({ params }) => service.vault(params.id) as Promise<VaultManifest | undefined>,
      budget: ({ params }) => service.budget(params.id),
      preview: ({ params, body }) => service.preview(params.id, body),
      submitJob: ({ body }) => service.submitJob(body),
      jobs: async ({ query }) => ({ jobs: await service.jobs(query) }),
      job: ({ params }) => service.job(params.id),
      sealed: ({ params }) => service.sealed(params.id),
      thresholdReleases: ({ params }) => service.thresholdReleases(params.id),
      payouts: ({ params }) => service.payouts(params.id),
      release: ({ body }) => service.submitRelease(body),
      block: ({ params }) => service.block(params.height),
      committee: () => service.committee(),
      committeeOfEpoch: ({ params }) => service.committee(params.epoch),
      submitContribution: ({ params, body }) => service.submitContribution(params.id, body),
      banContributor: ({ params, body }) => service.banContributor(params.id, body),
      pool: ({ params }) => service.pool(params.id),
      poolSnapshot: ({ params }) => service.poolSnapshot(params.id, params.height),
    }
  }

  /**
   * Serves one route of the contract: its parameters parsed by its schemas (400 with the route's
   * code), its signature checked as the route requires (401), absence answered as its 404.
   */
  #register<R extends Route>(route: R, handler: Handler<R>): void {
    this.#app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const params = parseParams(route.params, request.params)
        if (route.body.kind === 'bytes' && !(request.body instanceof Uint8Array)) {
          throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'blobs are uploaded as application/octet-stream')
        }
        const query = parseParams(route.query, request.query, { optional: true })
        const signed =
          route.signing === 'request' ||
          (route.signing === 'optional' && request.headers[SIGNATURE_HEADERS.signature] !== undefined)
        const signer = signed ? this.#signer(request) : undefined
        const result = await handler({ params, query, body: request.body, signer } as HandlerInput<R>)
        if (result === undefined) {
          const absent = route.absent
          if (!absent) throw new TypeError(`${route.method} ${route.path} found nothing to answer`)
          throw new ApiError(404, absent.code, absent.message(params))
        }
        const { response } = route
        if (response.kind === 'bytes') {
          const bytes = result as Uint8Array
          return reply
            .type('application/octet-stream')
            .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
        }
        if (response.kind === 'text') {
          const { contentType, text } = result as TextResult
          return reply.type(contentType).send(text)
        }
        if (this.#init.checkResponses) {
          const checked = response.schema.safeParse(result)
          if (!checked.success) {
            throw new ApiError(
              500,
              'RESPONSE_CONTRACT',
              `${route.method} ${route.path}: ${checked.error.message}`,
            )
          }
        }
        return reply.status(response.status).send(result)
      },
    })
  }

  #signer(request: FastifyRequest): Address {
    const check = verified(request)
    if (!check.ok) throw new ApiError(401, check.code, check.message)
    return check.address
  }
}

type Params = Readonly<Record<string, ParamSpec<unknown>>>

/** A route's path or query parameters, each parsed by its schema; the first bad one is the refusal. */
function parseParams(
  specs: Params,
  raw: unknown,
  options: { optional?: boolean } = {},
): Record<string, unknown> {
  const values = (raw ?? {}) as Record<string, unknown>
  const parsed: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(specs)) {
    const value = values[name]
    if (value === undefined && options.optional) continue
    const result = spec.schema.safeParse(value)
    if (!result.success) throw new ApiError(400, spec.code, spec.message)
    parsed[name] = result.data
  }
  return parsed
}
