import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Hex32 } from '../../protocol/index.ts'
import { ApiError, type NodeService } from './service.ts'

export interface ApiInit {
  readonly host: string
  readonly port: number
  readonly service: NodeService
  readonly logger: Logger
  /** largest blob upload, bytes */
  readonly maxBlobBytes?: number
}

const HEX32 = /^0x[0-9a-f]{64}$/

/**
 * The node's JSON HTTP API: vault publication (blobs, then the manifest),
 * job submission and status, node status. Every error is
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
      bodyLimit: 1024 * 1024,
    })
    this.#routes()
  }

  /** http://host:port once started */
  get url(): string {
    if (!this.#address) throw new Error('the API is not started')
    return this.#address
  }

  async start(): Promise<void> {
    this.#address = await this.#app.listen({ host: this.#init.host, port: this.#init.port })
  }

  async stop(): Promise<void> {
    await this.#app.close()
  }

  #routes(): void {
    const app = this.#app
    const { service } = this.#init
    app.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: this.#init.maxBlobBytes ?? 64 * 2 ** 20 },
      (_req, body, done) => done(null, body),
    )
    app.setErrorHandler((error, _request, reply) => {
      if (error instanceof ApiError) {
        return reply
          .status(error.status)
          .send({ error: { code: error.code, message: error.message, ...error.details } })
      }
      const e = error as { statusCode?: number; code?: string; message: string; field?: string }
      const code = typeof e.code === 'string' ? e.code : 'INTERNAL'
      const status = e.statusCode && e.statusCode < 500 ? e.statusCode : code === 'INTERNAL' ? 500 : 422
      return reply
        .status(status)
        .send({ error: { code, message: e.message, ...(e.field ? { field: e.field } : {}) } })
    })
    app.setNotFoundHandler((request, reply) =>
      reply
        .status(404)
        .send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } }),
    )

    app.get('/v1/status', () => service.status())

    app.put<{ Params: { id: string } }>('/v1/blobs/:id', async (request, reply) => {
      const id = hex32(request.params.id, 'blob id')
      if (!(request.body instanceof Uint8Array)) {
        throw new ApiError(415, 'BAD_CONTENT_TYPE', 'blobs are uploaded as application/octet-stream')
      }
      await service.putBlob(id, request.body)
      return reply.status(201).send({ id })
    })

    app.get<{ Params: { id: string } }>('/v1/blobs/:id', async (request, reply) => {
      const bytes = await service.getBlob(hex32(request.params.id, 'blob id'))
      if (!bytes) throw new ApiError(404, 'BLOB_NOT_FOUND', `no blob ${request.params.id}`)
      return reply
        .type('application/octet-stream')
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    })

    app.post('/v1/vaults', async (request, reply) =>
      reply.status(201).send(await service.publishVault(request.body)),
    )

    app.post('/v1/jobs', async (request, reply) =>
      reply.status(202).send(await service.submitJob(request.body)),
    )

    app.get<{ Params: { height: string } }>('/v1/blocks/:height', async (request) => {
      const height = Number(request.params.height)
      if (!Number.isSafeInteger(height) || height < 1)
        throw new ApiError(400, 'BAD_HEIGHT', 'a height is a positive integer')
      const block = await service.block(height)
      if (!block) throw new ApiError(404, 'BLOCK_NOT_FOUND', `no decided block at height ${height}`)
      return block
    })

    app.get<{ Params: { id: string } }>('/v1/jobs/:id', async (request) => {
      const job = await service.job(hex32(request.params.id, 'job id'))
      if (!job) throw new ApiError(404, 'JOB_NOT_FOUND', `no job ${request.params.id}`)
      return job
    })
  }
}

function hex32(value: string, what: string): Hex32 {
  if (!HEX32.test(value))
    throw new ApiError(400, 'BAD_ID', `${what} must be 0x followed by 64 lowercase hex digits`)
  return value as Hex32
}
