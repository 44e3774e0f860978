// Preloaded with `node --import` by test/client-imports.test.ts: records every module the process
// resolves (ESM imports and require() alike) and writes them, one URL a line, to $TCF_IMPORT_LOG.
import { writeFileSync } from 'node:fs'
import { registerHooks } from 'node:module'

const log = process.env.TCF_IMPORT_LOG
if (!log) throw new TypeError('TCF_IMPORT_LOG names the file to record resolved modules in')
const resolved = new Set<string>()

registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context)
    resolved.add(result.url)
    return result
  },
})

process.on('exit', () => writeFileSync(log, [...resolved].join('\n')))
