import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { SandboxError } from '../errors.ts'
import { buildContext, type HeContext, type SealRuntime, sealRuntimeFrom } from './context.ts'
import { isProfileName, PROFILES } from './profiles.ts'

export { buildContext, type HeContext, type SealModule, type SealRuntime } from './context.ts'

let runtime: Promise<SealRuntime> | undefined

export function loadSeal(): Promise<SealRuntime> {
  runtime ??= instantiate()
  return runtime
}

async function instantiate(): Promise<SealRuntime> {
  const wasmPath = fileURLToPath(new URL('./seal_throws.wasm', import.meta.resolve('node-seal')))
  const wasmBinary = await readFile(wasmPath)
  return sealRuntimeFrom(wasmBinary)
}

const contexts = new Map<string, Promise<HeContext>>()

export function heContext(profileName: string): Promise<HeContext> {
  if (!isProfileName(profileName)) {
    return Promise.reject(
      new SandboxError('PROFILE_UNKNOWN', `unknown HE profile "${profileName}"`, { field: 'profile' }),
    )
  }
  let ctx = contexts.get(profileName)
  if (!ctx) {
    ctx = loadSeal().then((rt) => buildContext(rt, PROFILES[profileName]))
    contexts.set(profileName, ctx)
  }
  return ctx
}

/** The node-seal package version, part of the execution environment hash. */
export async function nodeSealVersion(): Promise<string> {
  const pkgPath = fileURLToPath(new URL('../package.json', import.meta.resolve('node-seal')))
  const pkg: unknown = JSON.parse(await readFile(pkgPath, 'utf8'))
  if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') {
    return pkg.version
  }
  throw new SandboxError('WORKER_CRASHED', 'cannot read the node-seal version')
}
