import { blobIdOf, type Hex32 } from '../../protocol/index.ts'
import { type BlobFiles, FILE_BLOB_MIN_BYTES } from './blob-files.ts'
import type { Database } from './database.ts'
import { StorageError } from './errors.ts'

type BlobId = Hex32

/** What the p2p blob protocol serves from: content-addressed bytes, undefined when absent. */
export interface BlobSource {
  get(id: BlobId): Promise<Uint8Array | undefined>
}

export interface BlobStore extends BlobSource {
  /** Stores bytes under their id (0x + sha256 hex); BLOB_ID_MISMATCH when they do not hash to it. */
  put(id: BlobId, bytes: Uint8Array): Promise<void>
  /**
   * Stores bytes this process hashed to `id` itself (its evaluation worker encoded and hashed a
   * result bundle): not hashed again. Bytes from anywhere else go through `put`.
   */
  putOwn(id: BlobId, bytes: Uint8Array): Promise<void>
  has(id: BlobId): Promise<boolean>
}

/**
 * Small blobs are LevelDB values, large ones files (blob-files.ts); a blob is looked up in the
 * database first, so blobs of any size a store kept there before stay readable. Blobs bypass the
 * write queue: they are immutable and content-addressed, so their writes need no order. They are
 * synced anyway: a job record may point at a blob, and must not outlive it.
 */
export function createBlobStore({ db, blobs }: Pick<Database, 'db' | 'blobs'>, files: BlobFiles): BlobStore {
  const store = async (id: BlobId, bytes: Uint8Array) => {
    if (bytes.length >= FILE_BLOB_MIN_BYTES) return files.write(id, bytes)
    // The root's batch is where classic-level's `sync` option is typed; one op, so atomic trivially.
    await db.batch([{ type: 'put', sublevel: blobs, key: id, value: bytes }], { sync: true })
  }
  return {
    async put(id, bytes) {
      const actual = blobIdOf(bytes)
      if (actual !== id) throw new StorageError('BLOB_ID_MISMATCH', `blob ${id} hashes to ${actual}`)
      await store(id, bytes)
    },
    putOwn: store,
    async get(id) {
      const bytes = await blobs.get(id)
      // LevelDB hands back a Buffer; callers get the plain Uint8Array the interface promises (no copy).
      const found =
        bytes === undefined
          ? await files.read(id)
          : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      if (found === undefined) return undefined
      // Serving damaged bytes would only make peers refuse them one by one; say so here, once.
      if (blobIdOf(found) !== id)
        throw new StorageError('CORRUPT_RECORD', `blob ${id}: stored bytes do not hash to it`)
      return found
    },
    has: async (id) => (await blobs.has(id)) === true || (await files.has(id)),
  }
}
