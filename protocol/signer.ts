import type { Address, Hex, Hex32 } from './hex.ts'

// The consensus core's signing contract. It lives here, not in consensus/, so that protocol's
// EIP-712 signer implements it and consensus/ uses it without either importing the other's code.

/** 32-byte hash identifying a value (a block); the host owns its contents. */
export type ValueId = Hex32

export type VoteType = 'prevote' | 'precommit'

export interface Vote {
  type: VoteType
  height: number
  round: number
  /** null = nil */
  valueId: ValueId | null
  /** lowercase */
  validator: Address
}

export interface SignedVote {
  vote: Vote
  signature: Hex
}

export interface Proposal {
  height: number
  round: number
  valueId: ValueId
  /** -1 if none */
  validRound: number
  proposer: Address
}

export interface SignedProposal {
  proposal: Proposal
  signature: Hex
}

/**
 * Signs with the validator key. Signing must be deterministic (RFC 6979 for
 * secp256k1) so that the core stays a pure function of its inputs.
 */
export interface ConsensusSigner {
  readonly address: Address
  signVote(v: Vote): SignedVote
  signProposal(p: Proposal): SignedProposal
}

/**
 * Used by the host before it hands a message to the core: the core trusts
 * that every proposal and vote it receives carries a valid signature.
 */
export interface SignatureVerifier {
  verifyVote(sv: SignedVote): boolean
  verifyProposal(sp: SignedProposal): boolean
}
