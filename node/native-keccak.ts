import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { type KeccakEngine, keccakEngine, nobleKeccak, useKeccakEngine } from '../protocol/index.ts'
import { type EngineChoice, installNative, sameBytes } from './native-engine.ts'

/** The sponge the `keccak` package's addon exports: one state, reset by each `initialize`. */
interface KeccakState {
  initialize(rate: number, capacity: number): void
  absorb(data: Buffer): void
  absorbLastFewBits(bits: number): void
  squeeze(length: number): Buffer
}
export type KeccakBinding = new () => KeccakState

/**
 * The Keccak team's C code through the `keccak` package's prebuilt addon (linux-x64 glibc and musl,
 * darwin, win32): ~4x noble on 1 KB and ~16x on 10 KB, measured here under load.
 */
function nativeEngine(Binding: KeccakBinding): KeccakEngine {
  // One state for the process: a hash is one synchronous call, so no two ever interleave.
  const state = new Binding()
  return {
    name: 'keccak-addon',
    keccak256(bytes) {
      // Keccak-256 as Ethereum uses it: rate 1088, capacity 512, the original 0x01 padding.
      state.initialize(1088, 512)
      state.absorb(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      state.absorbLastFewBits(0x01)
      return new Uint8Array(state.squeeze(32))
    },
  }
}

/**
 * Loads the addon itself rather than the package's entry point: that entry falls back to its own
 * JS when the addon is missing, which would hide the fallback, and wraps the state in a stream.
 */
function loadBinding(): KeccakBinding {
  const require = createRequire(import.meta.url)
  const root = dirname(require.resolve('keccak/package.json'))
  const build = createRequire(`${root}/package.json`)('node-gyp-build') as (dir: string) => unknown
  // Anything but a sponge constructor fails at its first `new`, which useNativeKeccak reports.
  return build(root) as KeccakBinding
}

/**
 * Inputs either side of the 136-byte rate (where padding moves to another block), empty, one byte,
 * and one long enough to take many blocks: the engine must give noble's bytes on every one.
 */
const PROBES: readonly Uint8Array[] = [0, 1, 135, 136, 137, 272, 5000].map((n) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff),
)

export type KeccakChoice = EngineChoice<'noble'>

/**
 * Makes this process hash keccak256 with the addon, after checking on probes that it gives noble's
 * bytes. Where the addon cannot load or disagrees, the process keeps noble: slower, never wrong.
 * Idempotent.
 */
export function useNativeKeccak(load: () => KeccakBinding = loadBinding): KeccakChoice {
  if (keccakEngine().name !== nobleKeccak.name) return { engine: keccakEngine().name }
  // A view into a larger buffer, as hashing a subarray does.
  const framed = new Uint8Array(300).fill(7).subarray(50, 250)
  return installNative({
    addon: 'keccak',
    reference: 'noble',
    build: () => nativeEngine(load()),
    agrees: (engine) =>
      [...PROBES, framed].every((p) => sameBytes(engine.keccak256(p), nobleKeccak.keccak256(p))),
    install: useKeccakEngine,
  })
}
