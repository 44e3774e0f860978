import rateLimit from '@fastify/rate-limit'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { Address, Hex32 } from '../../protocol/index.ts'
import { JOB_STAGES, type JobStage } from '../storage/index.ts'
import { IpCeiling } from './ip-ceiling.ts'
import { openApiDocument } from './openapi.ts'
import { refusalAnswer } from './refusals.ts'
import { ApiError, type NodeService } from './service.ts'
import { SIGNATURE_HEADERS, type SignatureCheck, verifyRequest } from './signed-request.ts'

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
}

const HEX32 = /^0x[0-9a-f]{64}$/
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
 * The node's JSON HTTP API (OpenAPI document at /openapi.json). Writes
 * carry a signature: job requests and releases their own EIP-712 one,
 * blob uploads and vault publications the caller's request signature.
 * Every error is `{ error: { code, message } }` with a stable code.
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
    if (!this.#address) throw new Error('the API is not started')
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
      // Sandbox and protocol errors carry a stable string code: the input was at fault.
      if (typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) {
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

    const signer = (request: FastifyRequest): Address => {
      const check = verified(request)
      if (!check.ok) throw new ApiError(401, check.code, check.message)
      return check.address
    }

    app.get('/openapi.json', () => openApiDocument())
    app.get('/metrics', async (_request, reply) => {
      if (!this.#init.metrics) throw new ApiError(404, 'NOT_FOUND', 'metrics are not enabled')
      return reply.type(this.#init.metrics.contentType).send(await this.#init.metrics.render())
    })
    app.get('/v1/status', () => service.status())

    app.put<{ Params: { id: string }; Querystring: { vault?: string } }>(
      '/v1/blobs/:id',
      async (request, reply) => {
        const id = hex32(request.params.id, 'blob id')
        if (!(request.body instanceof Uint8Array)) {
          throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'blobs are uploaded as application/octet-stream')
        }
        const { vault } = request.query
        await service.putBlob(id, request.body, {
          signer: signer(request),
          ...(vault === undefined ? {} : { vaultId: hex32(vault, 'vault id') }),
        })
        return reply.status(201).send({ id })
      },
    )
    app.get<{ Params: { id: string } }>('/v1/blobs/:id', async (request, reply) => {
      const signed = request.headers[SIGNATURE_HEADERS.signature] !== undefined
      const bytes = await service.getBlob(
        hex32(request.params.id, 'blob id'),
        signed ? signer(request) : undefined,
      )
      if (!bytes) throw new ApiError(404, 'BLOB_NOT_FOUND', `no blob ${request.params.id}`)
      return reply
        .type('application/octet-stream')
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    })

    app.post('/v1/vaults', async (request, reply) => {
      const address = signer(request)
      return reply.status(201).send(await service.publishVault(request.body, address))
    })
    app.post('/v1/vaults/pending', async (request, reply) => {
      const address = signer(request)
      return reply.status(201).send(await service.announceVault(request.body, address))
    })
    app.get('/v1/vaults', async () => ({ vaults: await service.vaults() }))
    app.get<{ Params: { id: string } }>('/v1/vaults/:id', async (request) => {
      const vault = await service.vault(hex32(request.params.id, 'vault id'))
      if (!vault) throw new ApiError(404, 'VAULT_NOT_FOUND', `no vault ${request.params.id}`)
      return vault
    })

    app.get<{ Params: { id: string } }>('/v1/vaults/:id/budget', async (request) => {
      const budget = await service.budget(hex32(request.params.id, 'vault id'))
      if (!budget) throw new ApiError(404, 'VAULT_NOT_FOUND', `no vault ${request.params.id}`)
      return budget
    })
    app.post<{ Params: { id: string } }>('/v1/vaults/:id/preview', async (request) =>
      service.preview(hex32(request.params.id, 'vault id'), request.body),
    )

    app.post('/v1/jobs', async (request, reply) =>
      reply.status(202).send(await service.submitJob(request.body)),
    )
    app.get<{ Querystring: { vault?: string; stage?: string } }>('/v1/jobs', async (request) => {
      const { vault, stage } = request.query
      if (stage !== undefined && !(JOB_STAGES as readonly string[]).includes(stage)) {
        throw new ApiError(400, 'BAD_STAGE', `stage is one of ${JOB_STAGES.join(', ')}`)
      }
      return {
        jobs: await service.jobs({
          ...(vault === undefined ? {} : { vault: hex32(vault, 'vault id') }),
          ...(stage === undefined ? {} : { stage: stage as JobStage }),
        }),
      }
    })
    app.get<{ Params: { id: string } }>('/v1/jobs/:id', async (request) => {
      const job = await service.job(hex32(request.params.id, 'job id'))
      if (!job) throw new ApiError(404, 'JOB_NOT_FOUND', `no job ${request.params.id}`)
      return job
    })
    app.get<{ Params: { id: string } }>('/v1/jobs/:id/sealed', async (request) => {
      const sealed = await service.sealed(hex32(request.params.id, 'job id'))
      if (!sealed)
        throw new ApiError(404, 'NOT_RELEASED', `job ${request.params.id} has no released result here`)
      return sealed
    })
    app.post('/v1/releases', async (request, reply) =>
      reply.status(202).send(await service.submitRelease(request.body)),
    )

    app.get<{ Params: { height: string } }>('/v1/blocks/:height', async (request) => {
      const height = Number(request.params.height)
      if (!Number.isSafeInteger(height) || height < 1)
        throw new ApiError(400, 'BAD_HEIGHT', 'a height is a positive integer')
      const block = await service.block(height)
      if (!block) throw new ApiError(404, 'BLOCK_NOT_FOUND', `no decided block at height ${height}`)
      return block
    })
  }
}

function hex32(value: string, what: string): Hex32 {
  if (!HEX32.test(value))
    throw new ApiError(400, 'BAD_ID', `${what} must be 0x followed by 64 lowercase hex digits`)
  return value as Hex32
}
