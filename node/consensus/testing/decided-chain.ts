// Chains of decided records, really signed, for catch-up tests.
import {
  type Address,
  type Block,
  blobIdOf,
  blockHash,
  type DecidedRecord,
  decidedRecordCodec,
  type Eip712Domain,
  type Hex32,
  ZERO_HASH,
} from '../../../protocol/index.ts'
import { precommitsFor } from '../../sdk/testing/precommits.ts'

export interface DecidedChain {
  /** the encoded records by blob id */
  readonly blobs: Map<Hex32, Uint8Array>
  /** the id of the top record */
  readonly head: Hex32
  /** the top block's hash */
  readonly headHash: Hex32
}

/**
 * `length` empty blocks above `from` (genesis by default), each with a decided record whose
 * round-0 precommits are signed by `signers`, linked by `prev` to the record below.
 */
export function decidedChain(
  length: number,
  signers: readonly Hex32[],
  at: {
    readonly domain: Eip712Domain
    readonly epoch: number
    readonly proposer: Address
    /** the block below the first, and the id of its decided record */
    readonly from?: { readonly height: number; readonly hash: Hex32; readonly record?: Hex32 }
  },
): DecidedChain {
  const from = at.from ?? { height: 0, hash: ZERO_HASH }
  const blobs = new Map<Hex32, Uint8Array>()
  let prev: Hex32 | null = from.record ?? null
  let parentHash = from.hash
  for (let height = from.height + 1; height <= from.height + length; height++) {
    const block: Block = {
      version: 1,
      height,
      epoch: at.epoch,
      parentHash,
      proposer: at.proposer,
      chainBlock: 0,
      admitted: [],
      certified: [],
      released: [],
      failed: [],
    }
    const hash = blockHash(block)
    const precommits = precommitsFor(signers, { domain: at.domain, epoch: at.epoch, height, hash })
    const record: DecidedRecord = {
      version: 1,
      block,
      certificate: { version: 1, epoch: at.epoch, height, round: 0, blockHash: hash, precommits },
      prev,
    }
    const bytes = decidedRecordCodec.encode(record)
    prev = blobIdOf(bytes) as Hex32
    blobs.set(prev, bytes)
    parentHash = hash
  }
  if (prev === null) throw new RangeError('a decided chain has at least one record')
  return { blobs, head: prev, headHash: parentHash }
}
