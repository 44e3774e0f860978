import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { contentSecurityPolicy, serveWebApp } from './web.ts'

let base: string
let root: string
let app: FastifyInstance

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'tcf-web-root-'))
  root = join(base, 'dist')
  await mkdir(root)
  app = Fastify()
  app.get('/v1/status', async () => ({ height: 1 }))
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND' } }))
})

afterEach(async () => {
  await app.close()
  await rm(base, { recursive: true, force: true })
})

async function build(): Promise<boolean> {
  await mkdir(join(root, 'assets'), { recursive: true })
  await writeFile(join(root, 'index.html'), '<script type="module" src="/assets/app.js"></script>')
  await writeFile(join(root, 'assets/app.js'), 'console.log(1)')
  return serveWebApp(app, root, async () => 'http://127.0.0.1:8545')
}

describe('the web app beside the API', () => {
  it('serves index.html at / and its files, with a CSP that allows no inline script', async () => {
    expect(await build()).toBe(true)
    const page = await app.inject({ method: 'GET', url: '/' })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('/assets/app.js')
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("default-src 'none'")
    expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'/)
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:8545")
    const script = await app.inject({ method: 'GET', url: '/assets/app.js' })
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toMatch(/javascript/)
  })

  it('leaves the API its routes and its 404, and serves nothing outside its root', async () => {
    await build()
    await writeFile(join(base, 'secret.txt'), 'no')
    expect((await app.inject({ method: 'GET', url: '/v1/status' })).json()).toEqual({ height: 1 })
    const missing = await app.inject({ method: 'GET', url: '/v1/nothing' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ error: { code: 'NOT_FOUND' } })
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt'])
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(404)
  })

  it('serves the API alone when nothing was built', async () => {
    expect(await serveWebApp(app, root, async () => undefined)).toBe(false)
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(404)
  })

  it('names no RPC origin it cannot parse', () => {
    expect(contentSecurityPolicy('not a url')).toContain("connect-src 'self';")
    expect(contentSecurityPolicy(undefined)).toContain("connect-src 'self';")
  })
})
