import { concatBytes } from '@noble/hashes/utils.js'
import { bytes32Word, hashWords, uintWord } from './abiWords.ts'
import { fromHex, type Hex32, keccak256, ZERO_HASH } from './hex.ts'

/**
 * The results tree of a block, mirrored by Anchor.sol.
 *
 * Leaf: keccak256(keccak256(abi.encode(uint8 outcome, bytes32 jobId, bytes32 resultHash, uint32 qualityScore))).
 * Hashing twice makes a leaf's preimage 32 bytes, never the 64 bytes of an inner node, so no inner node
 * can be passed off as a leaf. Inner node: keccak256 of the two children in ascending order
 * (commutative), so a proof is just the sibling path. Leaves are paired left to right level by level;
 * an odd last node moves up unchanged. The empty tree's root is zero, which the Anchor never stores.
 */
export const OUTCOME = { result: 1, failed: 2, certified: 3 } as const

export const resultLeaf = (jobId: Hex32, resultHash: Hex32, qualityScore: number): Hex32 =>
  outcomeLeaf(OUTCOME.result, jobId, resultHash, qualityScore)

export const failedLeaf = (jobId: Hex32): Hex32 => outcomeLeaf(OUTCOME.failed, jobId, ZERO_HASH, 0)

/**
 * A result certificate entering a block: the network agreed on `resultHash`. Provable on chain like
 * any outcome, though only `result` (released, with a quality score) and `failed` leaves move money.
 */
export const certifiedLeaf = (jobId: Hex32, resultHash: Hex32): Hex32 =>
  outcomeLeaf(OUTCOME.certified, jobId, resultHash, 0)

function outcomeLeaf(outcome: number, jobId: Hex32, resultHash: Hex32, qualityScore: number): Hex32 {
  const inner = hashWords(
    uintWord(outcome),
    bytes32Word(jobId),
    bytes32Word(resultHash),
    uintWord(qualityScore),
  )
  return keccak256(fromHex(inner))
}

export function hashPair(a: Hex32, b: Hex32): Hex32 {
  const [low, high] = a < b ? [a, b] : [b, a]
  return keccak256(concatBytes(fromHex(low), fromHex(high)))
}

export function merkleRoot(leaves: readonly Hex32[]): Hex32 {
  if (leaves.length === 0) return ZERO_HASH
  let level = leaves
  while (level.length > 1) level = nextLevel(level)
  return level[0]!
}

/** Siblings of leaves[index] from the bottom up. */
export function merkleProof(leaves: readonly Hex32[], index: number): Hex32[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`no leaf ${index} among ${leaves.length}`)
  }
  const proof: Hex32[] = []
  let level = leaves
  let position = index
  while (level.length > 1) {
    const sibling = level[position ^ 1]
    if (sibling !== undefined) proof.push(sibling)
    level = nextLevel(level)
    position >>= 1
  }
  return proof
}

export const verifyMerkleProof = (leaf: Hex32, proof: readonly Hex32[], root: Hex32): boolean =>
  proof.reduce(hashPair, leaf) === root

function nextLevel(level: readonly Hex32[]): Hex32[] {
  const next: Hex32[] = []
  for (let i = 0; i < level.length; i += 2) {
    const right = level[i + 1]
    next.push(right === undefined ? level[i]! : hashPair(level[i]!, right))
  }
  return next
}
