import { z } from 'zod'
import { addressWord, bytes32Word, hashWords, uintWord } from '../abiWords.ts'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import { type Address, addressSchema, type Hex32, hex32Schema, keccak256, ZERO_HASH } from '../hex.ts'
import { certifiedLeaf, failedLeaf, merkleRoot, resultLeaf } from '../merkle.ts'
import { resultCertificateSchema } from './attestation.ts'
import { poolBanSchema, signedContributionSchema } from './contribution.ts'
import { signedJobRequestCodec, signedJobRequestSchema } from './jobRequest.ts'
import { epochSchema, heightSchema, versionSchema } from './primitives.ts'
import { releaseSchema } from './release.ts'
import { scoredReleaseSchema } from './scoredRelease.ts'

export const MAX_JOBS_PER_BLOCK = 1024
/** ~370 bytes of canonical JSON each: 1,024 stay well inside the block's 512 KiB. */
export const MAX_CONTRIBUTIONS_PER_BLOCK = 1024

/** A block has no round: the same block can be re-proposed in a later round and keep its hash. */
export const blockSchema = z.strictObject({
  version: versionSchema,
  height: heightSchema,
  epoch: epochSchema,
  parentHash: hex32Schema,
  proposer: addressSchema,
  /**
   * The EVM chain block number whose state the block's chain-reading rules (escrow, vault, owner) are
   * judged at: `latest - finalityDepth` when proposed, never below the parent's.
   */
  chainBlock: z
    .int()
    .min(0)
    .max(2 ** 53 - 1),
  /** Newly admitted jobs: buyer-signed requests. */
  admitted: z.array(signedJobRequestSchema).max(256),
  /** Result certificates for jobs admitted earlier. */
  certified: z.array(resultCertificateSchema).max(MAX_JOBS_PER_BLOCK),
  /** Owner releases of certified results: each settles its job with a quality score. */
  released: z.array(releaseSchema).max(MAX_JOBS_PER_BLOCK),
  /** Jobs whose deadline passed before a release. */
  failed: z.array(hex32Schema).max(MAX_JOBS_PER_BLOCK),
  /**
   * Threshold releases of jobs on committee vaults: t members' signed score shares and the score
   * they combine to. Absent (not empty) when there are none, so blocks without keep their hash.
   */
  scored: z.array(scoredReleaseSchema).max(MAX_JOBS_PER_BLOCK).optional(),
  /**
   * Contributions admitted into pools' logs (claims only: the ciphertexts are blobs). Absent when
   * there are none, so blocks without keep their hash.
   */
  contributions: z.array(signedContributionSchema).max(MAX_CONTRIBUTIONS_PER_BLOCK).optional(),
  /** Curators' bans of contributor keys, effective from the next block. Absent when none. */
  poolBans: z.array(poolBanSchema).max(MAX_JOBS_PER_BLOCK).optional(),
})
export type Block = z.infer<typeof blockSchema>
export const blockCodec = defineMessage('Block', blockSchema, 512 * 1024, undefined, (block) => {
  for (const signed of block.admitted) signedJobRequestCodec.adopt(signed)
})

/** What the Anchor contract sees of a block. blockHash = keccak256(abi.encode(header fields in this order)). */
export interface BlockHeader {
  readonly height: number
  readonly epoch: number
  readonly parentHash: Hex32
  readonly proposer: Address
  /** Merkle root of the block's job outcomes (merkle.ts). */
  readonly resultsRoot: Hex32
  /** keccak256 of the canonical {chainBlock, admitted, certified, released, failed[, scored][, contributions][, poolBans]}. */
  readonly bodyHash: Hex32
}

/**
 * Outcome leaves in block order: releases, then failures, then certifications. A block without any
 * (only admissions, or nothing) has the zero root and is not anchored; the next anchored block
 * commits to it through parentHash.
 */
export const outcomeLeaves = (
  block: Pick<Block, 'released' | 'failed' | 'certified' | 'scored'>,
): Hex32[] => [
  ...block.released.map((r) => resultLeaf(r.jobId, r.resultHash, r.qualityScore)),
  // A threshold release settles like an owner's: the same leaf, with the committee's score.
  ...(block.scored ?? []).map((r) => resultLeaf(r.jobId, r.resultHash, r.qualityScore)),
  ...block.failed.map(failedLeaf),
  ...block.certified.map((c) => certifiedLeaf(c.jobId, c.resultHash)),
]

/**
 * Whether a decided block goes to the Anchor: only one with outcomes does (the contract refuses a
 * zero results root). The one place this is decided; proposers, takeovers and the chain client ask it.
 */
export const needsAnchoring = (header: Pick<BlockHeader, 'resultsRoot'>): boolean =>
  header.resultsRoot !== ZERO_HASH

/**
 * Headers of the blocks hashed lately, by the block's JSON text. A validator hashes each block at its
 * proposal, its commit, the store's check, its anchoring and its settlement, and each time
 * canonicalised every request in it and hashed the lot with keccak in JS. Blocks are JSON data
 * (decoded, or built from decoded parts), where equal JSON text is equal content (key order aside,
 * which only misses), hence the same canonical body and header; a block changed since is other
 * text. Bounded by count and by text length, so a flood of blocks only evicts.
 */
const HEADERS_MAX = 32
const HEADER_TEXT_CHARS_MAX = 4 * 2 ** 20
const headers = new Map<string, BlockHeader>()
let headerTextChars = 0

export function blockHeader(block: Block): BlockHeader {
  const text = JSON.stringify(block)
  const known = headers.get(text)
  // A copy: a caller may not change what the next one is given.
  if (known !== undefined) return { ...known }
  const header = computeHeader(block)
  if (text.length <= HEADER_TEXT_CHARS_MAX) {
    headers.set(text, header)
    headerTextChars += text.length
    while (headers.size > HEADERS_MAX || headerTextChars > HEADER_TEXT_CHARS_MAX) {
      const oldest = headers.keys().next().value as string
      headers.delete(oldest)
      headerTextChars -= oldest.length
    }
  }
  return { ...header }
}

function computeHeader(block: Block): BlockHeader {
  const { chainBlock, admitted, certified, released, failed, scored, contributions, poolBans } = block
  return {
    height: block.height,
    epoch: block.epoch,
    parentHash: block.parentHash,
    proposer: block.proposer,
    resultsRoot: merkleRoot(outcomeLeaves(block)),
    // chainBlock sits in the body hash, not the header: the Anchor's header layout stays as it is.
    bodyHash: keccak256(
      canonicalBytes({
        chainBlock,
        admitted,
        certified,
        released,
        failed,
        ...(scored ? { scored } : {}),
        ...(contributions ? { contributions } : {}),
        ...(poolBans ? { poolBans } : {}),
      }),
    ),
  }
}

/**
 * The value consensus votes on. Because it hashes resultsRoot, a certificate for a block commits to
 * exactly one results root and the Anchor can recompute the hash from the header it is given.
 */
export const headerHash = (h: BlockHeader): Hex32 =>
  hashWords(
    uintWord(h.height),
    uintWord(h.epoch),
    bytes32Word(h.parentHash),
    addressWord(h.proposer),
    bytes32Word(h.resultsRoot),
    bytes32Word(h.bodyHash),
  )

export const blockHash = (block: Block): Hex32 => headerHash(blockHeader(block))
