import { keccak_256 } from '@noble/hashes/sha3.js'

/**
 * The keccak256 a process hashes with. protocol/ runs in browsers too, so its default is pure JS
 * (@noble); a daemon may install a native one (node/native-keccak.ts): a validator hashes every
 * message id, digest and block body it checks, and noble takes ~7 ms for a 50 KB block body under
 * load. An engine only computes; both must give the same 32 bytes for every input.
 */
export interface KeccakEngine {
  readonly name: string
  keccak256(bytes: Uint8Array): Uint8Array
}

export const nobleKeccak: KeccakEngine = { name: 'noble', keccak256: (bytes) => keccak_256(bytes) }

let current: KeccakEngine = nobleKeccak

export const keccakEngine = (): KeccakEngine => current

/** Makes every later keccak256 in this process use `engine`. */
export function useKeccakEngine(engine: KeccakEngine): void {
  current = engine
}
