import { type Hex32, sha256 } from './hex.ts'

/**
 * A blob is named by the sha256 of its bytes: vault chunks and keys, manifests, decided records and
 * sealed results all travel under this id, so whoever receives one checks it against its name.
 */
export const blobIdOf = (bytes: Uint8Array): Hex32 => sha256(bytes)

const BLOB_ID = /^0x[0-9a-f]{64}$/

/** Whether `id` is spelled as a blob id: `0x` and 64 lowercase hex digits, the one spelling blobIdOf gives. */
export const isBlobId = (id: string): id is Hex32 => BLOB_ID.test(id)
