import { describe, expect, it } from 'vitest'
import { ValidatorSet } from '../../consensus/index.ts'
import { recordsToApply, verifyDecidedRecord } from '../../node/consensus/decided-chain.ts'
import { decidedChain } from '../../node/consensus/testing/decided-chain.ts'
import {
  addressOfPrivateKey,
  createEip712Verifier,
  type DecidedRecord,
  decidedRecordCodec,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  ZERO_HASH,
} from '../../protocol/index.ts'

/**
 * Catch-up from a peer that lies: it announces a long chain of decided
 * records it made up. A node must find out from the head's certificate,
 * before it fetches (let alone walks) anything below it.
 */
const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const EPOCH = 1
const keys = Array.from({ length: 4 }, generatePrivateKey)
const validators = new ValidatorSet(keys.map((k) => ({ address: addressOfPrivateKey(k), power: 1 })))
const verifier = createEip712Verifier({ domain, epoch: EPOCH })
const verify = (record: DecidedRecord) => verifyDecidedRecord(record, EPOCH, validators, verifier)

/** A chain of `length` records above `from`, precommitted by `signers`; blobs by id, and the head id. */
function chain(length: number, signers: readonly Hex32[], from = { height: 0, hash: ZERO_HASH as Hex32 }) {
  return decidedChain(length, signers, {
    domain,
    epoch: EPOCH,
    proposer: addressOfPrivateKey(keys[0]!),
    from,
  })
}

const GENESIS = { height: 0, headHash: ZERO_HASH as Hex32 }

function counting(blobs: Map<Hex32, Uint8Array>) {
  const fetched: Hex32[] = []
  return {
    fetched,
    fetch: async (id: Hex32) => {
      fetched.push(id)
      const bytes = blobs.get(id)
      if (!bytes) throw new Error(`no blob ${id}`)
      return bytes
    },
  }
}

describe('catch-up from a lying peer', () => {
  it('rejects a long fake chain after one certificate check, without walking it', async () => {
    const strangers = Array.from({ length: 3 }, generatePrivateKey)
    const fake = chain(500, strangers)
    const peer = counting(fake.blobs)
    let checks = 0
    const counted = (record: DecidedRecord) => {
      checks++
      return verify(record)
    }
    await expect(recordsToApply(fake.head, GENESIS, peer.fetch, counted)).rejects.toMatchObject({
      code: 'HEAD_UNCERTIFIED',
    })
    expect({ fetched: peer.fetched.length, checks }).toEqual({ fetched: 1, checks: 1 })
  })

  it('applies a certified chain, oldest first', async () => {
    const below = chain(2, keys.slice(0, 3))
    const real = chain(3, keys.slice(0, 3), { height: 2, hash: below.headHash })
    const records = await recordsToApply(
      real.head,
      { height: 2, headHash: below.headHash },
      counting(real.blobs).fetch,
      verify,
    )
    expect(records.map((r) => r.block.height)).toEqual([3, 4, 5])
  })

  it('refuses a certified head whose records below are not its parents', async () => {
    const real = chain(4, keys.slice(0, 3))
    const other = chain(4, keys.slice(1, 4), { height: 0, hash: `0x${'ab'.repeat(32)}` })
    // The head is genuine; the peer swaps in a record that is not its parent under the parent's id.
    const head = decidedRecordCodec.decode(real.blobs.get(real.head)!)
    const swapped = new Map(real.blobs)
    swapped.set(head.prev!, other.blobs.get(decidedRecordCodec.decode(other.blobs.get(other.head)!).prev!)!)
    await expect(recordsToApply(real.head, GENESIS, counting(swapped).fetch, verify)).rejects.toMatchObject({
      code: 'BROKEN_CHAIN',
    })
  })

  it("refuses a certified chain that does not extend the node's own head", async () => {
    const real = chain(4, keys.slice(0, 3))
    const local = { height: 2, headHash: `0x${'ee'.repeat(32)}` as Hex32 }
    await expect(recordsToApply(real.head, local, counting(real.blobs).fetch, verify)).rejects.toMatchObject({
      code: 'FORK',
    })
  })
})
