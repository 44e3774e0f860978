// node:crypto as protocol/hex.ts and protocol/api/signing.ts use it, for the browser: sha256 digests.
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'

class Sha256 {
  readonly #hash = sha256.create()
  update(data: Uint8Array | string): this {
    this.#hash.update(typeof data === 'string' ? utf8ToBytes(data) : data)
    return this
  }
  digest(encoding: 'hex'): string {
    if (encoding !== 'hex') throw new TypeError(`digest encoding ${String(encoding)} is not supported here`)
    return bytesToHex(this.#hash.digest())
  }
}

export function createHash(algorithm: string): Sha256 {
  if (algorithm !== 'sha256') throw new TypeError(`hash ${algorithm} is not available in the browser`)
  return new Sha256()
}
