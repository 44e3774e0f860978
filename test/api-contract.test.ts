import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiServer, type NodeService } from '../node/api/index.ts'
import { openApiDocument, openApiPath } from '../node/api/openapi.ts'
import { createLogger } from '../node/log.ts'
import { Client } from '../node/sdk/index.ts'
import { type Hex32, ROUTES, type Route, type RouteName, urlOf } from '../protocol/index.ts'
import { type SingleNode, startSingleNode } from './support/single-node.ts'

/**
 * The API contract (protocol/api/routes.ts) against the server that claims to serve it: every
 * route is in the OpenAPI document and answered by the server, and an answer that drifts from the
 * contract's schema is caught on both sides, by the server's check and by the SDK's parse.
 */
let one: SingleNode
const servers: ApiServer[] = []

beforeAll(async () => {
  one = await startSingleNode()
}, 120_000)
afterAll(async () => {
  for (const s of servers) await s.stop()
  await one?.stop()
})

const names = Object.keys(ROUTES) as RouteName[]
const anyId = (): Hex32 => `0x${randomBytes(32).toString('hex')}`

/** A request that reaches the route: well-formed parameters, a body of the route's kind. */
function requestOf(route: Route): { path: string; init: RequestInit } {
  const params = Object.fromEntries(
    Object.keys(route.params).map((name) => [name, name === 'height' ? 1 : anyId()]),
  )
  const body =
    route.body.kind === 'json'
      ? { headers: { 'content-type': 'application/json' }, body: '{}' }
      : route.body.kind === 'bytes'
        ? { headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([1]) }
        : {}
  return { path: urlOf(route, params), init: { method: route.method, ...body } }
}

/** A node whose status has drifted from the contract: one field more than the schema allows. */
function drifted(node: NodeService): NodeService {
  return new Proxy(node, {
    get(target, key) {
      if (key === 'status') return async () => ({ ...(await target.status()), uptime: 1 })
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

async function serve(service: NodeService, checkResponses: boolean): Promise<ApiServer> {
  const logger = createLogger({ level: 'silent' })
  const server = new ApiServer({ host: '127.0.0.1', port: 0, service, logger, checkResponses })
  servers.push(server)
  await server.start()
  return server
}

describe('the API contract', () => {
  it('names every route once', () => {
    const keys = names.map((n) => `${ROUTES[n].method} ${ROUTES[n].path}`)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('every route is in the OpenAPI document the node serves', async () => {
    const served = (await (await fetch(`${one.url}/openapi.json`)).json()) as ReturnType<
      typeof openApiDocument
    >
    expect(served).toEqual(openApiDocument())
    const documented = Object.entries(served.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(documented.sort()).toEqual(
      names.map((n) => `${ROUTES[n].method} ${openApiPath(ROUTES[n].path)}`).sort(),
    )
  })

  it.each(names)('the server answers %s (not "no route")', async (name) => {
    const { path, init } = requestOf(ROUTES[name])
    const response = await fetch(`${one.url}${path}`, init)
    const text = await response.text()
    // The not-found handler's answer is the only one that says there is no route.
    expect(text).not.toMatch(/"no route /)
    expect(response.status).toBeLessThan(500)
  })

  it("the node's answers parse with the contract's schemas", async () => {
    const client = new Client({ url: one.url })
    try {
      const status = await client.status()
      expect(status.chain.chainId).toBe(Number(one.chain.chainId))
      expect(await client.vaults()).toEqual([])
      expect(await client.jobs({ stage: 'released' })).toEqual([])
      expect(await client.block(1)).toBeUndefined()
    } finally {
      await client.close()
    }
  })

  it('an answer that drifts from the contract is caught by the server check and by the SDK', async () => {
    const checked = await serve(drifted(one.node.service), true)
    const response = await fetch(`${checked.url}/v1/status`)
    expect(response.status).toBe(500)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('RESPONSE_CONTRACT')

    const unchecked = await serve(drifted(one.node.service), false)
    const client = new Client({ url: unchecked.url })
    try {
      await expect(client.status()).rejects.toMatchObject({
        code: 'BAD_RESPONSE',
        message: expect.stringMatching(/uptime|Unrecognized key/),
      })
    } finally {
      await client.close()
    }
  })
})
