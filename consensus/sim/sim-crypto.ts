import { createHash, createHmac } from 'node:crypto'
import type {
  Address,
  ConsensusSigner,
  Hex,
  Proposal,
  SignatureVerifier,
  SignedProposal,
  SignedVote,
  Vote,
} from '../../protocol/index.ts'

/**
 * Cheap deterministic signatures for the simulator: HMAC-SHA256 under a
 * per-validator secret, checked by a verifier that knows every secret. Not a
 * signature scheme (verifying needs the secret), but it gives the simulator
 * what it needs: only the key holder can produce a signature the verifier
 * accepts, and signing is deterministic.
 */
export interface SimKey {
  readonly secret: string
  readonly address: Address
}

export function simKey(name: string): SimKey {
  const address = `0x${createHash('sha256').update(name).digest('hex').slice(0, 40)}` as Address
  return { secret: name, address }
}

const voteBytes = (v: Vote): string =>
  `vote|${v.type}|${v.height}|${v.round}|${v.valueId ?? 'nil'}|${v.validator}`
const proposalBytes = (p: Proposal): string =>
  `proposal|${p.height}|${p.round}|${p.valueId}|${p.validRound}|${p.proposer}`

const mac = (secret: string, message: string): Hex =>
  `0x${createHmac('sha256', secret).update(message).digest('hex')}`

export class SimSigner implements ConsensusSigner {
  readonly address: Address
  readonly #secret: string

  constructor(key: SimKey) {
    this.address = key.address
    this.#secret = key.secret
  }

  signVote(vote: Vote): SignedVote {
    return { vote, signature: mac(this.#secret, voteBytes(vote)) }
  }

  signProposal(proposal: Proposal): SignedProposal {
    return { proposal, signature: mac(this.#secret, proposalBytes(proposal)) }
  }
}

export class SimVerifier implements SignatureVerifier {
  readonly #secrets: ReadonlyMap<Address, string>

  constructor(keys: readonly SimKey[]) {
    this.#secrets = new Map(keys.map((k) => [k.address, k.secret]))
  }

  verifyVote(sv: SignedVote): boolean {
    const secret = this.#secrets.get(sv.vote.validator)
    return secret !== undefined && mac(secret, voteBytes(sv.vote)) === sv.signature
  }

  verifyProposal(sp: SignedProposal): boolean {
    const secret = this.#secrets.get(sp.proposal.proposer)
    return secret !== undefined && mac(secret, proposalBytes(sp.proposal)) === sp.signature
  }
}
