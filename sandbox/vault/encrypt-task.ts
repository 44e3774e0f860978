import type { ProfileName } from '../he/profiles.ts'
import type { VaultSchema } from './schema.ts'

export interface EncryptWorkerData {
  readonly profile: ProfileName
  /** wire bytes of the secret key; the worker zeroes its copy once loaded */
  readonly secretKey?: Uint8Array
  /** or a committee's public key (stored bytes): public-key encryption, no secret anywhere */
  readonly publicKey?: Uint8Array
  readonly schema: VaultSchema
  /** 2: each ciphertext holds two chunks, the second in the slots' imaginary parts (complex-pairs.ts) */
  readonly valuesPerSlot: 1 | 2
}

/** One ciphertext's records: up to slotCount × valuesPerSlot CSV records as UTF-8 text, parsed and encrypted by the worker. */
export interface EncryptRequest {
  readonly text: Uint8Array
  /** the file's line number of the text's first line, for errors */
  readonly firstLine: number
  /** the CSV's header fields, already checked against the schema */
  readonly header: readonly string[]
}

export interface EncryptResult {
  /** one ciphertext per stored column, in layout order */
  readonly blobs: readonly Uint8Array[]
  /** records the chunk held */
  readonly count: number
}
