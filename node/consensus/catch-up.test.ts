import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ValidatorSet } from '../../consensus/index.ts'
import {
  addressOfPrivateKey,
  blockHash,
  createEip712Verifier,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  type StatusMessage,
  ZERO_HASH,
} from '../../protocol/index.ts'
import { Ledger } from '../jobs/ledger.ts'
import type { NodeStore } from '../storage/index.ts'
import { useTempStore } from '../storage/testing/temp-store.ts'
import { CatchUp } from './catch-up.ts'
import type { Epoch } from './epochs.ts'
import { decidedChain } from './testing/decided-chain.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'22'.repeat(20)}` }
const keys = Array.from({ length: 4 }, generatePrivateKey)
const epoch: Epoch = {
  number: 1,
  validators: new ValidatorSet(keys.map((k) => ({ address: addressOfPrivateKey(k), power: 1 }))),
  verifier: createEip712Verifier({ domain, epoch: 1 }),
}
/** The set of epoch 2: three new validators. */
const nextKeys = Array.from({ length: 3 }, generatePrivateKey)
const nextEpoch: Epoch = {
  number: 2,
  validators: new ValidatorSet(nextKeys.map((k) => ({ address: addressOfPrivateKey(k), power: 1 }))),
  verifier: createEip712Verifier({ domain, epoch: 2 }),
}
const temp = useTempStore('tcf-catch-up-')

/** Stores a chain of `length` decided records, precommitted by `signers`; returns the head's id. */
async function storeChain(store: NodeStore, length: number, signers: readonly Hex32[]): Promise<Hex32> {
  const chain = decidedChain(length, signers, {
    domain,
    epoch: 1,
    proposer: addressOfPrivateKey(keys[0] as Hex32),
  })
  for (const [id, bytes] of chain.blobs) await store.blobs.put(id, bytes)
  return chain.head
}

/**
 * Stores four decided records, heights 1 to `lastOfEpoch1` certified in epoch 1 by three of its
 * set, the rest in epoch 2 by its own set; returns the head's id.
 */
async function storeTwoEpochs(store: NodeStore, lastOfEpoch1: number): Promise<Hex32> {
  const first = decidedChain(lastOfEpoch1, keys.slice(0, 3), {
    domain,
    epoch: 1,
    proposer: addressOfPrivateKey(keys[0] as Hex32),
  })
  const second = decidedChain(4 - lastOfEpoch1, nextKeys, {
    domain,
    epoch: 2,
    proposer: addressOfPrivateKey(nextKeys[0] as Hex32),
    from: { height: lastOfEpoch1, hash: first.headHash, record: first.head },
  })
  for (const [id, bytes] of [...first.blobs, ...second.blobs]) await store.blobs.put(id, bytes)
  return second.head
}

/** A catch-up over a fresh ledger, recording what it commits, jumps to and publishes. */
function catchingUp(store: NodeStore, options: { switchAfter?: number } = {}) {
  const ledger = new Ledger(ZERO_HASH)
  // The committer follows the chain's epoch after each block: epoch 2 from `switchAfter` + 1 on.
  let current = epoch
  const seen = {
    committed: [] as number[],
    jumps: [] as number[],
    fetched: 0,
    published: [] as StatusMessage[],
  }
  const catchUp = new CatchUp({
    ledger,
    head: () => null,
    epoch: () => current,
    laterEpoch: async (number) => {
      if (number !== nextEpoch.number) throw new RangeError(`no epoch ${number} on this chain`)
      return nextEpoch
    },
    fetch: async (id) => {
      seen.fetched++
      const bytes = await store.blobs.get(id)
      if (!bytes) throw new RangeError(`no blob ${id}`)
      return bytes
    },
    commit: async (record) => {
      seen.committed.push(record.block.height)
      ledger.apply(record.block, blockHash(record.block))
      if (record.block.height === options.switchAfter) current = nextEpoch
    },
    jumpTo: (height) => seen.jumps.push(height),
    publish: async (status) => {
      seen.published.push(status)
    },
    logger: pino({ level: 'silent' }),
  })
  return { catchUp, ledger, seen }
}

const status = (height: number, head: Hex32): StatusMessage => ({ version: 1, height, head, at: Date.now() })

describe('CatchUp', () => {
  it("applies a peer's certified records in height order and moves consensus past them", async () => {
    const head = await storeChain(temp.store, 3, keys.slice(0, 3))
    const { catchUp, ledger, seen } = catchingUp(temp.store)
    await catchUp.onStatus(status(3, head))
    expect(seen.committed).toEqual([1, 2, 3])
    expect(ledger.height).toBe(3)
    expect(seen.jumps).toEqual([4])
    await catchUp.announce()
    expect(seen.published).toMatchObject([{ height: 3, head: null }])
  })

  it('fetches nothing from a peer that is not ahead', async () => {
    const head = await storeChain(temp.store, 2, keys.slice(0, 3))
    const { catchUp, seen } = catchingUp(temp.store)
    await catchUp.onStatus(status(0, head))
    await catchUp.onStatus({ ...status(5, head), head: null })
    expect(seen.fetched).toBe(0)
    expect(seen.committed).toEqual([])
  })

  it('applies nothing of a chain without a quorum of precommits', async () => {
    // Two of four validators: 1/2 of the power, not more than 2/3.
    const head = await storeChain(temp.store, 3, keys.slice(0, 2))
    const { catchUp, ledger, seen } = catchingUp(temp.store)
    await catchUp.onStatus(status(3, head))
    expect(seen.fetched).toBe(1)
    expect(seen.committed).toEqual([])
    expect(ledger.height).toBe(0)
    expect(seen.jumps).toEqual([])
  })

  it('applies records across an epoch change, each verified by its own epoch’s set', async () => {
    const head = await storeTwoEpochs(temp.store, 2)
    const { catchUp, ledger, seen } = catchingUp(temp.store, { switchAfter: 2 })
    await catchUp.onStatus(status(4, head))
    expect(seen.committed).toEqual([1, 2, 3, 4])
    expect(ledger.height).toBe(4)
    expect(seen.jumps).toEqual([5])
  })

  it('refuses a chain whose epoch changes at another height than the registry’s, applying what came before', async () => {
    // The peer's chain moves to epoch 2 after height 1; the registry's epoch changes after height 2.
    const head = await storeTwoEpochs(temp.store, 1)
    const { catchUp, ledger, seen } = catchingUp(temp.store, { switchAfter: 2 })
    await catchUp.onStatus(status(4, head))
    expect(seen.committed).toEqual([1])
    expect(ledger.height).toBe(1)
    expect(seen.jumps).toEqual([2])
  })

  it('applies nothing certified under a later epoch by keys outside its set, nor under an earlier epoch', async () => {
    const forged = decidedChain(2, keys.slice(0, 3), {
      domain,
      epoch: 2,
      proposer: addressOfPrivateKey(keys[0] as Hex32),
    })
    const past = decidedChain(2, keys.slice(0, 3), {
      domain,
      epoch: 0,
      proposer: addressOfPrivateKey(keys[0] as Hex32),
    })
    for (const [id, bytes] of [...forged.blobs, ...past.blobs]) await temp.store.blobs.put(id, bytes)
    const { catchUp, ledger, seen } = catchingUp(temp.store)
    await catchUp.onStatus(status(2, forged.head))
    await catchUp.onStatus(status(2, past.head))
    expect(seen.committed).toEqual([])
    expect(ledger.height).toBe(0)
    expect(seen.jumps).toEqual([])
  })

  it('runs one catch-up at a time', async () => {
    const head = await storeChain(temp.store, 2, keys.slice(0, 3))
    const { catchUp, seen } = catchingUp(temp.store)
    await Promise.all([catchUp.onStatus(status(2, head)), catchUp.onStatus(status(2, head))])
    expect(seen.committed).toEqual([1, 2])
  })
})
