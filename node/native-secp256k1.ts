import { createRequire } from 'node:module'
import { type CurveEngine, curveEngine, nobleEngine, useCurveEngine } from '../protocol/index.ts'
import { type EngineChoice, installNative, sameBytes } from './native-engine.ts'

type Binding = typeof import('secp256k1')

/**
 * libsecp256k1 through the `secp256k1` package's prebuilt addon (linux-x64 glibc and musl, darwin,
 * win32): ~0.4 ms a recovery against ~11 ms in JS on this machine at load, and a validator recovers
 * a signer for every request, vote and attestation it hears (six votes a height alone).
 */
function nativeEngine(binding: Binding): CurveEngine {
  return {
    name: 'libsecp256k1',
    recover: (compact, recoveryId, digest, compressed) =>
      binding.ecdsaRecover(compact, recoveryId, digest, compressed),
    sign(digest, privateKey) {
      const { signature, recid } = binding.ecdsaSign(digest, privateKey)
      return { compact: signature, recoveryId: recid }
    },
  }
}

/**
 * Loads the addon itself rather than the package's entry point: that entry falls back to `elliptic`
 * (pure JS, slower than noble) when the addon is missing, which would hide the fallback.
 */
function loadBinding(): Binding {
  return createRequire(import.meta.url)('secp256k1/bindings') as Binding
}

// A fixed key and digest (any in range would do): the engine must give noble's bytes on them.
const PROBE_KEY = new Uint8Array(32).fill(0x11)
const PROBE_DIGEST = new Uint8Array(32).fill(0xa5)

function agreesWithNoble(engine: CurveEngine): boolean {
  const want = nobleEngine.sign(PROBE_DIGEST, PROBE_KEY)
  const got = engine.sign(PROBE_DIGEST, PROBE_KEY)
  const signer = (e: CurveEngine) => e.recover(want.compact, want.recoveryId, PROBE_DIGEST, false)
  return (
    sameBytes(got.compact, want.compact) &&
    got.recoveryId === want.recoveryId &&
    sameBytes(signer(engine), signer(nobleEngine))
  )
}

export type CurveChoice = EngineChoice<'noble'>

/**
 * Makes this process sign and recover with libsecp256k1, after checking on a probe that it signs
 * byte for byte as noble does and recovers the same key. Where the addon cannot load (a platform
 * without a prebuild) or disagrees, the process keeps noble: slower, never wrong. Idempotent.
 */
export function useNativeSecp256k1(load: () => Binding = loadBinding): CurveChoice {
  if (curveEngine().name !== nobleEngine.name) return { engine: curveEngine().name }
  return installNative({
    addon: 'secp256k1',
    reference: 'noble',
    build: () => nativeEngine(load()),
    agrees: agreesWithNoble,
    install: useCurveEngine,
  })
}
