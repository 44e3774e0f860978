import type { ProfileName } from '../he/profiles.ts'

export interface EncryptWorkerData {
  readonly profile: ProfileName
  /** wire bytes of the secret key; the worker zeroes its copy once loaded */
  readonly secretKey: Uint8Array
}

/** One chunk: a slotCount-long array per stored column, in layout order. */
export interface EncryptRequest {
  readonly columns: readonly Float64Array[]
}

export interface EncryptResult {
  readonly blobs: readonly Uint8Array[]
}
