import { z } from 'zod'
import { dkgGossipSchema, type Hex32, hex32Schema } from '../../protocol/index.ts'
import type { NodeStore } from '../storage/index.ts'
import { numberKey } from '../storage/keys.ts'

const bodySchema = dkgGossipSchema.shape.message

/**
 * What this node has signed in one DKG instance, written before it is sent: the signed bodies in
 * send order (re-sent as they are, byte for byte, never re-signed or recomputed), the round-share
 * blobs it committed to, and the qualified set once decided. After a restart the node reloads it
 * and carries on from there. The blobs themselves are in the blob store (put before the message
 * naming them is persisted).
 */
export const journalSchema = z.strictObject({
  instanceId: hex32Schema,
  sent: z.array(bodySchema),
  /** step key (`ckg`, `rkg1`, `rkg2`, `rtg/<element>`) → the blob of this member's share */
  shareBlobs: z.record(z.string(), hex32Schema),
  qualified: z.array(z.int().min(1)).nullable(),
  /** why the instance was given up, once it was */
  failed: z.string().nullable(),
  keyHash: hex32Schema.nullable(),
})
export type Journal = z.infer<typeof journalSchema>

const journalKey = (instanceId: Hex32) => `dkg/instance/${instanceId}`
const roundKey = (epoch: number) => `dkg/round/${numberKey(epoch)}`

export interface DkgJournalStore {
  load(instanceId: Hex32): Promise<Journal>
  save(journal: Journal): Promise<void>
  round(epoch: number): Promise<number>
  setRound(epoch: number, round: number): Promise<void>
}

export const emptyJournal = (instanceId: Hex32): Journal => ({
  instanceId,
  sent: [],
  shareBlobs: {},
  qualified: null,
  failed: null,
  keyHash: null,
})

/** The journal in the node's meta sublevel: every save is one synced LevelDB write. */
export function dkgJournalStore(store: Pick<NodeStore, 'getMeta' | 'putMeta'>): DkgJournalStore {
  return {
    load: async (instanceId) =>
      (await store.getMeta(journalKey(instanceId), journalSchema)) ?? emptyJournal(instanceId),
    save: (journal) => store.putMeta(journalKey(journal.instanceId as Hex32), journal),
    round: async (epoch) => (await store.getMeta(roundKey(epoch), z.int().min(0))) ?? 0,
    setRound: (epoch, round) => store.putMeta(roundKey(epoch), round),
  }
}
