import * as crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { type EngineChoice, installNative, sameBytes } from './native-engine.ts'
import { type EcdhBinding, libsecp256k1Sealing, nodeSealing, useSealingEngine } from './sdk/index.ts'

/** The addon itself, not the package's entry, which would fall back to pure JS unseen. */
function loadBinding(): EcdhBinding {
  return createRequire(import.meta.url)('secp256k1/bindings') as EcdhBinding
}

// A fixed secret and peer (any in range would do): the engine must give OpenSSL's bytes on them.
const PROBE_SECRET = new Uint8Array(32).fill(0x22)
const PROBE_PEER = new Uint8Array(32).fill(0x5a)

export type SealingChoice = EngineChoice<'node:crypto'>

/**
 * Makes this process's result sealing (the vault agent seals every release) do its curve
 * arithmetic in libsecp256k1, after checking on a probe that it derives the same public key and
 * shared x as node:crypto. Where the addon cannot load or disagrees, sealing stays on node:crypto:
 * slower, never wrong. The bytes on the wire are the same either way.
 */
export function useNativeSealing(load: () => EcdhBinding = loadBinding): SealingChoice {
  const reference = nodeSealing(crypto)
  const peer = reference.publicKeyOf(PROBE_PEER)
  return installNative({
    addon: 'secp256k1',
    reference: 'node:crypto',
    build: () => libsecp256k1Sealing(load(), crypto),
    agrees: (engine) =>
      sameBytes(engine.publicKeyOf(PROBE_SECRET), reference.publicKeyOf(PROBE_SECRET)) &&
      sameBytes(engine.sharedX(PROBE_SECRET, peer), reference.sharedX(PROBE_SECRET, peer)),
    install: useSealingEngine,
  })
}
