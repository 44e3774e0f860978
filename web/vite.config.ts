import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** The shared files whose only use of node:crypto is createHash('sha256'). */
const HASHING_ONLY = /\/protocol\/(hex|api\/signing)\.ts$/

/**
 * protocol/chain/artifacts.ts reads the contracts' ABIs from disk; in the browser the same committed
 * JSON files are bundled instead (src/shim/artifacts.ts), so the SDK's contract clients work as is.
 */
const browserSubstitutes = (): Plugin => ({
  name: 'tcf-browser-substitutes',
  enforce: 'pre',
  async resolveId(source, importer, options) {
    // The SDK hashes request bodies and blobs with node:crypto's createHash: the same sha256 from
    // @noble/hashes in the browser. Daemon-side modules that use more of node:crypto stay external.
    if (source === 'node:crypto' && importer && HASHING_ONLY.test(importer))
      return here('./src/shim/node-crypto.ts')
    if (!importer || !source.endsWith('/artifacts.ts')) return null
    const resolved = await this.resolve(source, importer, { ...options, skipSelf: true })
    return resolved?.id.endsWith('/protocol/chain/artifacts.ts') ? here('./src/shim/artifacts.ts') : null
  },
})

/** The files of the repository the app imports that run outside the browser too (protocol/, node/sdk/, sandbox/). */
const SHARED_SOURCE = /\/(protocol|sandbox|consensus|node)\//

export default defineConfig({
  root: here('.'),
  base: '/',
  // The repository's sources are TypeScript with .ts extensions; the app's own are .tsx with Preact.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [browserSubstitutes()],
  // node-seal's WASM, which the contributor page fetches and hands to SEAL itself (the package's
  // exports name no path to it, and its own loader looks beside a script the bundle no longer has).
  resolve: {
    alias: [{ find: /^tcf-seal-wasm/, replacement: here('../node_modules/node-seal/dist/seal_throws.wasm') }],
  },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      // The shared folders' index.ts files re-export daemon-side modules (files, worker threads, the
      // dev chain); the app uses none of them, and none of them does anything on import that the
      // app needs, so a module of theirs whose exports go unused is left out.
      treeshake: {
        moduleSideEffects: (id: string) => !SHARED_SOURCE.test(id) || id.includes('node_modules'),
      },
    },
  },
})
