import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Address,
  type CollectiveKey,
  collectiveKeyHash,
  dkgInstance,
  type Hex32,
} from '../../protocol/index.ts'
import { createNodeStore, type NodeStore } from '../storage/index.ts'
import { createKeyring } from './keyring.ts'

const member = (b: string) => `0x${b.repeat(40)}` as Address
const blob = (b: string) => ({ blobId: `0x${b.repeat(64)}` as Hex32, size: 10 })
const key: CollectiveKey = {
  instance: dkgInstance(1, `0x${'ab'.repeat(32)}`, 0),
  profile: 'ckks-8192',
  qualified: [1, 2, 3, 4],
  publicKey: blob('1'),
  relinKeys: blob('2'),
  galoisKeys: blob('3'),
}
const keyHash = collectiveKeyHash(key)
const oldSet = ['a', 'b', 'c', 'd'].map(member)
const newSet = ['a', 'b', 'c', 'e'].map(member)

let dir: string
let store: NodeStore

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tcf-keyring-'))
  store = createNodeStore({ dir })
  await store.open()
})

afterAll(async () => {
  await store.close()
  await rm(dir, { recursive: true, force: true })
})

describe('the keyring across a reshare (real LevelDB)', () => {
  it("answers each epoch with its own holders, hands the share over, and names an unknown key's hash", async () => {
    const ring = createKeyring(store)
    await ring.putKey({ keyHash, key, members: oldSet, threshold: 3 })
    expect((await ring.getKey(keyHash))?.heldBy).toBeUndefined()
    await ring.putShare({ keyHash, member: 4, share: '0x01' })
    await ring.putNextShare({ keyHash, member: 2, share: '0x02' }, 2)

    await ring.putHolders(keyHash, { epoch: 2, members: newSet, threshold: 3 })
    expect((await ring.keyOfEpoch(1))?.members).toEqual(oldSet)
    expect((await ring.keyOfEpoch(2))?.members).toEqual(newSet)
    expect((await ring.keyOfEpoch(2))?.keyHash).toBe(keyHash)
    // by hash: the holders now
    expect((await ring.getKey(keyHash))?.members).toEqual(newSet)

    await ring.handOver(keyHash, 2)
    expect(await ring.getShare(keyHash)).toEqual({ keyHash, member: 2, share: '0x02' })
    expect(await ring.getNextShare(keyHash, 2)).toBeUndefined()
    // a member leaving at epoch 3 has no next share: its share is deleted
    await ring.handOver(keyHash, 3)
    expect(await ring.getShare(keyHash)).toBeUndefined()

    const unknown = `0x${'77'.repeat(32)}` as Hex32
    await expect(ring.putHolders(unknown, { epoch: 2, members: newSet, threshold: 3 })).rejects.toMatchObject(
      {
        code: 'KEY_UNKNOWN',
      },
    )
  })
})
