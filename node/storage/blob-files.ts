import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type Hex32, isBlobId } from '../../protocol/index.ts'
import { writeSynced } from '../../sandbox/index.ts'
import { StorageError } from './errors.ts'

/**
 * Blobs at least this large are files rather than LevelDB values. A LevelDB value is written to
 * its log, its memtable, a table at the flush, and again at every compaction that moves it; a
 * 2.7 MiB result bundle cost 16 ms of CPU that way against 5 as a synced file. Below it, values
 * stay in the database, where a block's commit writes its decided record in one atomic batch.
 */
export const FILE_BLOB_MIN_BYTES = 64 * 1024

/**
 * Content-addressed files, `<root>/<first two hex digits>/<the rest>`, each written whole under a
 * temporary name, synced, then renamed into place with its directory synced: a file under its id
 * is complete once `write` resolves, and a crash leaves at most a temporary file behind. The
 * bytes are not checked here: the blob store hashes on the way in and out.
 */
export class BlobFiles {
  readonly #root: string

  constructor(root: string) {
    this.#root = root
  }

  async write(id: Hex32, bytes: Uint8Array): Promise<void> {
    const shard = join(this.#root, shardOf(id))
    await mkdir(shard, { recursive: true })
    const temp = join(this.#root, `.${randomBytes(8).toString('hex')}.partial`)
    try {
      await writeSynced(temp, bytes)
      await rename(temp, this.#path(id))
    } catch (e) {
      await rm(temp, { force: true })
      throw e
    }
    const dir = await open(shard, 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  }

  /** The file's bytes, undefined when there is none. */
  async read(id: Hex32): Promise<Uint8Array | undefined> {
    if (!isBlobId(id)) return undefined
    try {
      const bytes = await readFile(this.#path(id))
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    } catch (e) {
      if (isMissing(e)) return undefined
      throw e
    }
  }

  async has(id: Hex32): Promise<boolean> {
    if (!isBlobId(id)) return false
    try {
      return (await stat(this.#path(id))).isFile()
    } catch (e) {
      if (isMissing(e)) return false
      throw e
    }
  }

  /** Removes the file; one already gone is no error. */
  async remove(id: Hex32): Promise<void> {
    if (isBlobId(id)) await rm(this.#path(id), { force: true })
  }

  #path(id: Hex32): string {
    if (!isBlobId(id)) throw new StorageError('INVALID_RECORD', `not a blob id: ${JSON.stringify(id)}`)
    return join(this.#root, shardOf(id), id.slice(4))
  }
}

// Ids reach the store from peers and the API as strings: only a sha256 id names a file, so no id
// reaches a path outside the root ("0x../..", say, is no blob here, not a file elsewhere).
const shardOf = (id: Hex32) => id.slice(2, 4)

const isMissing = (e: unknown) => (e as { code?: unknown }).code === 'ENOENT'
