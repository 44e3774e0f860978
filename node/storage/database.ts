import { Level } from 'level'

/**
 * The one LevelDB database of a node and its sublevels. Keys are UTF-8 strings; values are JSON
 * text (validated by zod on both sides) except blobs, which are raw bytes.
 */
export function openDatabase(dir: string) {
  const db = new Level<string, string>(dir, {
    keyEncoding: 'utf8',
    valueEncoding: 'utf8',
    // Most of the bytes are ciphertexts (vault chunks, keys, result bundles of MiBs), which no
    // compressor shrinks: Snappy's attempt on every flush and compaction tripled a stored bundle's
    // CPU (56 against 16 ms for 2.7 MB, its compactions included), ~10% of a burst of distinct
    // specs on the devnet. JSON records are a small share of the bytes.
    compression: false,
  })
  const json = (name: string) =>
    db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  return {
    db,
    /** 0x + sha256 hex -> bytes */
    blobs: db.sublevel<string, Uint8Array>('blobs', { keyEncoding: 'utf8', valueEncoding: 'view' }),
    /** vaultId -> StoredVault */
    vaults: json('vaults'),
    /** jobId -> JobRecord */
    jobs: json('jobs'),
    /** numberKey(height) -> StoredBlock */
    blocks: json('blocks'),
    /** walKey(height, seq) -> WalEntry */
    wal: json('wal'),
    /** free-form key -> JSON value */
    meta: json('meta'),
    /** owner:blobId -> StoredUpload (who uploaded a blob through the API, for quotas and collection) */
    uploads: json('uploads'),
  }
}

export type Database = ReturnType<typeof openDatabase>
export type JsonSublevel = Database['jobs']
export type BlobSublevel = Database['blobs']
/** One put or del of a synced batch, addressed to a sublevel of the database. */
export type BatchOp =
  | { readonly type: 'put'; readonly sublevel: JsonSublevel; readonly key: string; readonly value: string }
  | {
      readonly type: 'put'
      readonly sublevel: BlobSublevel
      readonly key: string
      readonly value: Uint8Array
    }
  | { readonly type: 'del'; readonly sublevel: JsonSublevel | BlobSublevel; readonly key: string }
