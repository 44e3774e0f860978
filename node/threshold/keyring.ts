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
const holdersSchema = z.strictObject({
  epoch: z.int().min(0),
  members: z.array(addressSchema).min(1),
  threshold: z.int().min(1),
})
/** An epoch's committee that holds shares of a key: after a reshare, the same key has new holders. */
export type KeyHolders = z.infer<typeof holdersSchema>

export const committeeKeyRecordSchema = z.strictObject({
  keyHash: hex32Schema,
  key: collectiveKeySchema,
  /**
   * The committee that holds the key's shares now, in set order: member index i + 1 is
   * members[i]. The DKG epoch's set until a reshare hands the key to a later epoch's set.
   */
  members: z.array(addressSchema).min(1),
  /** shares needed to decrypt: 2f + 1 of n = 3f + 1 */
  threshold: z.int().min(1),
  /**
   * Once the key was reshared: every epoch's committee that held it, the DKG's first, oldest first
   * (absent before any reshare). `members` and `threshold` above are the last entry's.
   */
  heldBy: z.array(holdersSchema).optional(),
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
const nextShareKey = (keyHash: Hex32, epoch: number) => `committee/next-share/${keyHash}/${numberKey(epoch)}`

export interface Keyring {
  /** Stores a key and makes it its epoch's key. The record's keyHash must hash its key. */
  putKey(record: CommitteeKeyRecord): Promise<void>
  getKey(keyHash: Hex32): Promise<CommitteeKeyRecord | undefined>
  /**
   * The key an epoch's committee holds, if this node has it: the one its DKG produced, or one
   * reshared to it, with that epoch's members and threshold.
   */
  keyOfEpoch(epoch: number): Promise<CommitteeKeyRecord | undefined>
  /** Records that a later epoch's committee holds the key (its reshare was registered). */
  putHolders(keyHash: Hex32, holders: KeyHolders): Promise<void>
  putShare(share: HeldShare): Promise<void>
  getShare(keyHash: Hex32): Promise<HeldShare | undefined>
  /** A reshared share for `epoch`'s committee, kept aside until that committee's key is registered. */
  putNextShare(share: HeldShare, epoch: number): Promise<void>
  getNextShare(keyHash: Hex32, epoch: number): Promise<HeldShare | undefined>
  /**
   * Once `epoch`'s committee holds the key: its reshared share (if this node is a member) replaces
   * the old one, or (if not) the old share is deleted. Either way the old share is gone, so it can
   * no longer combine with anyone's.
   */
  handOver(keyHash: Hex32, epoch: number): Promise<void>
}

export function createKeyring(store: NodeStore): Keyring {
  return {
    async putKey(record) {
      if (collectiveKeyHash(record.key) !== record.keyHash) {
        throw new ThresholdNodeError('KEY_HASH_MISMATCH', `keyHash ${record.keyHash} does not hash the key`)
      }
      // stored as it came: a record never reshared has no heldBy at all
      const { heldBy, ...rest } = record
      await store.putMeta(keyKey(record.keyHash), heldBy === undefined ? rest : { ...rest, heldBy })
      await store.putMeta(epochKey(record.key.instance.epoch), record.keyHash)
    },
    getKey: (keyHash) => store.getMeta(keyKey(keyHash), committeeKeyRecordSchema),
    async keyOfEpoch(epoch) {
      const keyHash = await store.getMeta(epochKey(epoch), hex32Schema)
      if (keyHash === undefined) return undefined
      const record = await store.getMeta(keyKey(keyHash), committeeKeyRecordSchema)
      const holders = record?.heldBy?.find((h) => h.epoch === epoch)
      return record === undefined || holders === undefined
        ? record
        : { ...record, members: holders.members, threshold: holders.threshold }
    },
    async putHolders(keyHash, holders) {
      const record = await store.getMeta(keyKey(keyHash), committeeKeyRecordSchema)
      if (record === undefined) {
        throw new ThresholdNodeError(
          'KEY_UNKNOWN',
          `no committee key ${keyHash} to hand to epoch ${holders.epoch}`,
        )
      }
      const first = { epoch: record.key.instance.epoch, members: record.members, threshold: record.threshold }
      const earlier = (record.heldBy ?? [first]).filter((h) => h.epoch !== holders.epoch)
      const heldBy = [...earlier, holders].sort((a, b) => a.epoch - b.epoch)
      const latest = heldBy[heldBy.length - 1]!
      await store.putMeta(keyKey(keyHash), {
        ...record,
        members: latest.members,
        threshold: latest.threshold,
        heldBy,
      })
      await store.putMeta(epochKey(holders.epoch), keyHash)
    },
    putShare: (share) => store.putMeta(shareKey(share.keyHash), share),
    getShare: (keyHash) => store.getMeta(shareKey(keyHash), heldShareSchema),
    putNextShare: (share, epoch) => store.putMeta(nextShareKey(share.keyHash, epoch), share),
    getNextShare: (keyHash, epoch) => store.getMeta(nextShareKey(keyHash, epoch), heldShareSchema),
    async handOver(keyHash, epoch) {
      const next = await store.getMeta(nextShareKey(keyHash, epoch), heldShareSchema)
      if (next === undefined) await store.delMeta(shareKey(keyHash))
      else await store.putMeta(shareKey(keyHash), next)
      await store.delMeta(nextShareKey(keyHash, epoch))
    },
  }
}
