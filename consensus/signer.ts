export type Hex = `0x${string}`
/** 20-byte account address, lowercase hex. */
export type Address = `0x${string}`
/** 32-byte hash identifying a value (block); the host owns its contents. */
export type ValueId = `0x${string}`

export type VoteType = 'prevote' | 'precommit'

export interface Vote {
  type: VoteType
  height: number
  round: number
  /** null = nil */
  valueId: `0x${string}` | null
  /** 20-byte address, lowercase */
  validator: `0x${string}`
}

export interface SignedVote {
  vote: Vote
  signature: `0x${string}`
}

export interface Proposal {
  height: number
  round: number
  valueId: `0x${string}`
  /** -1 if none */
  validRound: number
  proposer: `0x${string}`
}

export interface SignedProposal {
  proposal: Proposal
  signature: `0x${string}`
}

/**
 * Signs with the validator key. Signing must be deterministic (RFC 6979 for
 * secp256k1) so that the core stays a pure function of its inputs.
 */
export interface ConsensusSigner {
  readonly address: `0x${string}`
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
