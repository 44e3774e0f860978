import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Hex32 } from '../he/hash.ts'
import type { HeContext } from '../he/seal.ts'
import { canonicalBytes, loadCiphertext } from '../he/serialize.ts'
import { getBlobSync } from './blob-dir.ts'

/**
 * Expanded ciphertexts, derived from verified blobs. A wire blob is seeded
 * and compressed: loading it costs a decompression and a PRNG expansion,
 * several times an addition. Expanding each blob once, when first used, and
 * keeping the uncompressed form makes every later evaluation's loads ~8x
 * cheaper, at 2.4x the disk. The cache is a local derivative of blobs
 * whose hash was checked, rebuilt from them if deleted.
 */
export class ExpandedCache {
  readonly #dir: string
  readonly #blobDir: string

  constructor(blobDir: string, dir = join(blobDir, '..', 'expanded')) {
    this.#blobDir = blobDir
    this.#dir = dir
    mkdirSync(dir, { recursive: true })
  }

  /** The ciphertext's expanded bytes, expanding (and keeping) them on first use. */
  read(ctx: HeContext, id: Hex32): Uint8Array {
    const path = join(this.#dir, id.slice(2))
    try {
      return readFileSync(path)
    } catch {
      const ct = loadCiphertext(ctx, getBlobSync(this.#blobDir, id), id)
      try {
        const bytes = canonicalBytes(ctx, ct)
        const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
        writeFileSync(tmp, bytes)
        renameSync(tmp, path)
        return bytes
      } finally {
        ct.delete()
      }
    }
  }
}
