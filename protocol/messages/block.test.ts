import { describe, expect, it } from 'vitest'
import { canonicalBytes } from '../canonicalJson.ts'
import { type Hex32, keccak256 } from '../hex.ts'
import { merkleRoot } from '../merkle.ts'
import { sampleBlock } from '../testing/samples.ts'
import { type Block, type BlockHeader, blockCodec, blockHash, blockHeader, outcomeLeaves } from './block.ts'

/** The header by its definition, with nothing remembered. */
function definedHeader(block: Block): BlockHeader {
  const { version: _v, height, epoch, parentHash, proposer, ...body } = block
  return {
    height,
    epoch,
    parentHash,
    proposer,
    resultsRoot: merkleRoot(outcomeLeaves(block)),
    bodyHash: keccak256(canonicalBytes(body)),
  }
}

const hashN = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex32

describe('blockHeader, remembered', () => {
  it('gives what the definition gives, for the block again and for a changed copy of it', () => {
    expect(blockHeader(sampleBlock)).toEqual(definedHeader(sampleBlock))
    expect(blockHeader(sampleBlock)).toEqual(definedHeader(sampleBlock))
    // A Byzantine proposer's twin: the same block with one failed job more, then one changed byte.
    const more = { ...sampleBlock, failed: [...sampleBlock.failed, hashN(99)] }
    expect(blockHeader(more)).toEqual(definedHeader(more))
    expect(blockHeader(more).bodyHash).not.toBe(blockHeader(sampleBlock).bodyHash)
    const other = { ...sampleBlock, chainBlock: sampleBlock.chainBlock + 1 }
    expect(blockHash(other)).not.toBe(blockHash(sampleBlock))
    expect(blockHeader(other)).toEqual(definedHeader(other))
  })

  it('hashes a block decoded again, in another key order, or changed in place by its content alone', () => {
    const first = blockHash(sampleBlock)
    const decoded = blockCodec.decode(blockCodec.encode(sampleBlock))
    expect(blockHash(decoded)).toBe(first)
    const reordered = Object.fromEntries(Object.entries(sampleBlock).reverse()) as Block
    expect(blockHash(reordered)).toBe(first)
    // A block object changed after it was hashed is hashed as it is now.
    const mutable = structuredClone(sampleBlock) as { -readonly [K in keyof Block]: Block[K] }
    expect(blockHash(mutable)).toBe(first)
    mutable.failed = [hashN(7)]
    expect(blockHeader(mutable)).toEqual(definedHeader(mutable))
    expect(blockHash(mutable)).not.toBe(first)
  })

  it('hands each caller its own header object', () => {
    const header = blockHeader(sampleBlock) as { height: number }
    header.height = 0
    expect(blockHeader(sampleBlock).height).toBe(sampleBlock.height)
  })

  it('stays right past its bound', () => {
    const first = definedHeader(sampleBlock)
    for (let n = 0; n < 100; n++) {
      const block = { ...sampleBlock, failed: [hashN(n)] }
      expect(blockHeader(block)).toEqual(definedHeader(block))
    }
    expect(blockHeader(sampleBlock)).toEqual(first)
  })
})
