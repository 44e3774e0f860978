import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/** Where `npm run build:web` writes the web app (web/vite.config.ts). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url))

/**
 * The page's Content Security Policy: scripts and styles only from this node's own files (no inline
 * script, no eval), and connections only to this node and the chain RPC it reports, so a script
 * that got in anyway could not send the buyer's sealing key elsewhere. `wasm-unsafe-eval` lets
 * the contributor page compile node-seal's WebAssembly (from this node's own file); it allows no
 * evaluation of JavaScript strings, which `unsafe-eval` would.
 */
export function contentSecurityPolicy(chainRpcUrl: string | undefined): string {
  let rpcOrigin = ''
  try {
    if (chainRpcUrl) rpcOrigin = ` ${new URL(chainRpcUrl).origin}`
  } catch {
    // an RPC URL the browser could not reach anyway: connect to this node only
  }
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${rpcOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * Serves the built web app's files next to the JSON API. The API's routes are more specific than
 * the files' catch-all, so they keep priority; a file that is not there is the API's own 404.
 * Files are looked up per request, so a rebuild (`npm run build:web`) needs no restart. Without a
 * build at start the node serves the API alone.
 */
export async function serveWebApp(
  app: FastifyInstance,
  root: string,
  chainRpcUrl: () => Promise<string | undefined>,
): Promise<boolean> {
  if (!existsSync(`${root}/index.html`)) return false
  let policy: string | undefined
  app.addHook('onSend', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return
    policy ??= contentSecurityPolicy(await chainRpcUrl().catch(() => undefined))
    reply.header('content-security-policy', policy)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
  })
  await app.register(fastifyStatic, { root, prefix: '/', index: 'index.html' })
  return true
}
