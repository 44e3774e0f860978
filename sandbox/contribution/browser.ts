import { buildContext, type HeContext, sealRuntimeFrom } from '../he/context.ts'
import { isProfileName, PROFILES } from '../he/profiles.ts'
import { ContributionError } from './errors.ts'

/**
 * The contributor's side as a browser page loads it: what encrypts a
 * contribution and nothing that needs Node (files, worker threads, CSV
 * streams). The page fetches node-seal's WASM itself and hands the bytes
 * here, so the ciphertext it makes is byte-for-byte what `tcf pool
 * contribute` would make from the same records and randomness.
 */
export { Contributor, type PoolKey } from './contributor.ts'
export { encodeContribution, type PoolRecord } from './encode.ts'
export { ContributionError } from './errors.ts'
export { layoutIdOf, type PoolLayout, poolLayout, readPoolLayout } from './layout.ts'

/** A SEAL context for `profile` from node-seal's WASM bytes. */
export async function contributorContext(wasmBinary: Uint8Array, profile: string): Promise<HeContext> {
  if (!isProfileName(profile)) {
    throw new ContributionError('LAYOUT_INVALID', 'profile', `unknown profile ${profile}`)
  }
  return buildContext(await sealRuntimeFrom(wasmBinary), PROFILES[profile])
}
