import { z } from 'zod'
import {
  addressSchema,
  collectiveKeyHash,
  collectiveKeySchema,
  type Hex32,
  hex32Schema,
  hexBytesSchema,
} from '../../protocol/index.ts'
import type { NodeStore } from '../storage/index.ts'
import { numberKey } from '../storage/keys.ts'
import { ThresholdNodeError } from './errors.ts'

/**
 * The committee keys a node knows, and the one share of each that it holds. The key's SEAL
 * objects (public, relinearization and Galois keys) are public blobs in the node's blob store,
 * named by `key`; the share is secret, so it lives in the meta sublevel, never in the blob store
 * (which peers may read).
 */
export const committeeKeyRecordSchema = z.strictObject({
  keyHash: hex32Schema,
  key: collectiveKeySchema,
  /** the epoch's validator set in set order: member index i + 1 is members[i] */
  members: z.array(addressSchema).min(1),
  /** shares needed to decrypt: 2f + 1 of n = 3f + 1 */
  threshold: z.int().min(1),
})
export type CommitteeKeyRecord = z.infer<typeof committeeKeyRecordSchema>

// A share of every key-level prime at N = 32768 with 16 primes, TCFP-encoded (sandbox encodePoly).
const MAX_SHARE_BYTES = 16 * 8 * 32768 + 16

export const heldShareSchema = z.strictObject({
  keyHash: hex32Schema,
  /** this node's 1-based member index (its Shamir evaluation point) */
  member: z.int().min(1),
  /** sandbox/threshold encodePoly of the member's Shamir share of the collective secret */
  share: hexBytesSchema(MAX_SHARE_BYTES),
})
export type HeldShare = z.infer<typeof heldShareSchema>

const keyKey = (keyHash: Hex32) => `committee/key/${keyHash}`
const epochKey = (epoch: number) => `committee/epoch/${numberKey(epoch)}`
const shareKey = (keyHash: Hex32) => `committee/share/${keyHash}`

export interface Keyring {
  /** Stores a key and makes it its epoch's key. The record's keyHash must hash its key. */
  putKey(record: CommitteeKeyRecord): Promise<void>
  getKey(keyHash: Hex32): Promise<CommitteeKeyRecord | undefined>
  /** The key an epoch's committee produced, if this node has it. */
  keyOfEpoch(epoch: number): Promise<CommitteeKeyRecord | undefined>
  putShare(share: HeldShare): Promise<void>
  getShare(keyHash: Hex32): Promise<HeldShare | undefined>
}

export function createKeyring(store: NodeStore): Keyring {
  return {
    async putKey(record) {
      if (collectiveKeyHash(record.key) !== record.keyHash) {
        throw new ThresholdNodeError('KEY_HASH_MISMATCH', `keyHash ${record.keyHash} does not hash the key`)
      }
      await store.putMeta(keyKey(record.keyHash), record)
      await store.putMeta(epochKey(record.key.instance.epoch), record.keyHash)
    },
    getKey: (keyHash) => store.getMeta(keyKey(keyHash), committeeKeyRecordSchema),
    async keyOfEpoch(epoch) {
      const keyHash = await store.getMeta(epochKey(epoch), hex32Schema)
      return keyHash === undefined ? undefined : store.getMeta(keyKey(keyHash), committeeKeyRecordSchema)
    },
    putShare: (share) => store.putMeta(shareKey(share.keyHash), share),
    getShare: (keyHash) => store.getMeta(shareKey(keyHash), heldShareSchema),
  }
}
