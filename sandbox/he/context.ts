import SEAL, {
  type CKKSEncoder,
  type Evaluator,
  type MainModule,
  type ParmsIdType,
  type SEALContext,
} from 'node-seal'
import { SandboxError } from '../errors.ts'
import type { HeProfile } from './profiles.ts'

export type SealModule = MainModule

/**
 * One SEAL WASM instance plus a handle on its linear memory. We instantiate
 * the WASM ourselves (emscripten's `instantiateWasm` hook) only to keep that
 * handle: its byte length is the instance's whole heap, which is what the
 * evaluator's memory cap and the leak test measure.
 */
export interface SealRuntime {
  readonly seal: SealModule
  heapBytes(): number
}

// Node ships WebAssembly, but its typings live only in TypeScript's DOM libs;
// these are the few members used here.
interface WasmInstance {
  readonly exports: Record<string, unknown>
}
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: unknown): Promise<{ instance: WasmInstance; module: unknown }>
  Memory: abstract new (...args: never[]) => { readonly buffer: ArrayBuffer }
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

/**
 * SEAL from its WASM bytes, however they were read: from node-seal's
 * package on disk (seal.ts) or fetched by a browser page. Nothing here
 * touches Node, so a contributor's page builds the same context.
 */
export async function sealRuntimeFrom(wasmBinary: Uint8Array): Promise<SealRuntime> {
  let memory: { readonly buffer: ArrayBuffer } | undefined
  const seal = await SEAL({
    instantiateWasm(imports: unknown, done: (instance: WasmInstance, module: unknown) => void) {
      wasm.instantiate(wasmBinary, imports).then(({ instance, module }) => {
        memory = Object.values(instance.exports).find((e) => e instanceof wasm.Memory) as
          | { readonly buffer: ArrayBuffer }
          | undefined
        done(instance, module)
      })
      return {}
    },
  })
  if (!memory) throw new SandboxError('WORKER_CRASHED', 'node-seal exposed no linear memory')
  const mem = memory
  return { seal, heapBytes: () => mem.buffer.byteLength }
}

/**
 * The SEAL objects every operation on one profile needs. Built once per
 * runtime and profile and kept for the life of the process: they hold no
 * key material.
 */
export interface HeContext {
  readonly profile: HeProfile
  readonly seal: SealModule
  readonly context: SEALContext
  readonly encoder: CKKSEncoder
  readonly evaluator: Evaluator
  readonly scale: number
  /** parms id of the level every fresh ciphertext is at */
  readonly firstParmsId: ParmsIdType
  /** parms id of the lowest level: results are switched here before they leave */
  readonly lastParmsId: ParmsIdType
  heapBytes(): number
}

/**
 * The context of `profile` on a runtime. `encryptionOnly` leaves out the levels below the first
 * (SEAL builds NTT tables for every prime of every level, ~1 s of WASM for the whole chain at
 * N=8192): enough to encode and encrypt, the same ciphertext bytes (a level's parms id depends on
 * its parameters alone), and a third cheaper for an encryption worker to start. Its lastParmsId is
 * the first level's.
 */
export function buildContext(
  rt: SealRuntime,
  profile: HeProfile,
  options: { encryptionOnly?: boolean } = {},
): HeContext {
  const { seal } = rt
  const parms = new seal.EncryptionParameters(seal.SchemeType.ckks)
  parms.setPolyModulusDegree(profile.polyModulusDegree)
  const moduli = seal.CoeffModulus.Create(
    profile.polyModulusDegree,
    Int32Array.from(profile.coeffModulusBits),
  )
  parms.setCoeffModulus(moduli)
  moduli.delete()
  const context = new seal.SEALContext(parms, options.encryptionOnly !== true, seal.SecLevelType.tc128)
  parms.delete()
  if (!context.parametersSet()) {
    throw new SandboxError('PROFILE_UNKNOWN', `SEAL rejected the parameters of profile ${profile.name}`)
  }
  return {
    profile,
    seal,
    context,
    encoder: new seal.CKKSEncoder(context),
    evaluator: new seal.Evaluator(context),
    scale: 2 ** profile.scaleBits,
    firstParmsId: context.firstParmsId(),
    lastParmsId: context.lastParmsId(),
    heapBytes: rt.heapBytes,
  }
}
