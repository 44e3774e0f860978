import { concatBytes } from '@noble/hashes/utils.js'
import { TypedDataEncoder, type TypedDataField } from 'ethers'
import { bytes32Word, hashWords, intWord, uintWord } from '../abiWords.ts'
import { type Hex32, keccak256, ZERO_HASH } from '../hex.ts'
import type { VoteType } from '../signer.ts'
import { domainSeparator, type Eip712Domain, ethersDomain } from './domain.ts'
import { flatStructDigest } from './flat-digest.ts'
import { encodeType, PROPOSAL_TYPES, VOTE_TYPE_CODE, VOTE_TYPES } from './structs.ts'

export interface VoteDigestFields {
  readonly type: VoteType
  readonly epoch: number
  readonly height: number
  readonly round: number
  /** null for a nil vote, which is signed as the zero hash. */
  readonly blockHash: Hex32 | null
}

export interface ProposalDigestFields {
  readonly epoch: number
  readonly height: number
  readonly round: number
  readonly blockHash: Hex32
  readonly validRound: number
}

const typeHash = (types: Record<string, TypedDataField[]>) =>
  bytes32Word(keccak256(new TextEncoder().encode(encodeType(types))))

const VOTE_TYPEHASH = typeHash(VOTE_TYPES)
const PROPOSAL_TYPEHASH = typeHash(PROPOSAL_TYPES)
const EIP712_PREFIX = Uint8Array.of(0x19, 0x01)

/** Digests are computed for every vote received, so the domain separator is hashed once per domain. */
export function createDigester(domain: Eip712Domain) {
  const separator = bytes32Word(domainSeparator(domain))
  const digest = (structHash: Hex32): Hex32 =>
    keccak256(concatBytes(EIP712_PREFIX, separator, bytes32Word(structHash)))
  return {
    vote: (v: VoteDigestFields): Hex32 =>
      digest(
        hashWords(
          VOTE_TYPEHASH,
          uintWord(VOTE_TYPE_CODE[v.type]),
          uintWord(v.epoch),
          uintWord(v.height),
          uintWord(v.round),
          bytes32Word(v.blockHash ?? ZERO_HASH),
        ),
      ),
    proposal: (p: ProposalDigestFields): Hex32 =>
      digest(
        hashWords(
          PROPOSAL_TYPEHASH,
          uintWord(p.epoch),
          uintWord(p.height),
          uintWord(p.round),
          bytes32Word(p.blockHash),
          intWord(p.validRound),
        ),
      ),
  }
}

/** Digest of any of the typed structs: word by word where that is certain, else by ethers. */
export const typedDataDigest = (
  domain: Eip712Domain,
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
): Hex32 =>
  flatStructDigest(domain, types, value) ??
  (TypedDataEncoder.hash(ethersDomain(domain), types, value) as Hex32)
