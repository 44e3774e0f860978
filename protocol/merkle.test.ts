import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from './hex.ts'
import {
  certifiedLeaf,
  failedLeaf,
  merkleProof,
  merkleRoot,
  resultLeaf,
  verifyMerkleProof,
} from './merkle.ts'

describe('results Merkle tree', () => {
  it('proves every leaf of trees of any size, and nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (size) => {
        const leaves = Array.from({ length: size }, () =>
          resultLeaf(toHex(randomBytes(32)), toHex(randomBytes(32)), 7),
        )
        const root = merkleRoot(leaves)
        leaves.forEach((leaf, i) => {
          expect(verifyMerkleProof(leaf, merkleProof(leaves, i), root)).toBe(true)
        })
        expect(verifyMerkleProof(failedLeaf(toHex(randomBytes(32))), merkleProof(leaves, 0), root)).toBe(
          false,
        )
      }),
      { numRuns: 40 },
    )
  })

  it('separates outcomes: a failure leaf is not a zero result', () => {
    const jobId = toHex(randomBytes(32))
    expect(failedLeaf(jobId)).not.toBe(resultLeaf(jobId, `0x${'00'.repeat(32)}`, 0))
    expect(certifiedLeaf(jobId, `0x${'00'.repeat(32)}`)).not.toBe(
      resultLeaf(jobId, `0x${'00'.repeat(32)}`, 0),
    )
    expect(merkleRoot([])).toBe(`0x${'00'.repeat(32)}`)
  })
})
