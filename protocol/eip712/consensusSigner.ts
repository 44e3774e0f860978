import { TcfError } from '../errors.ts'
import type { Address, Hex32 } from '../hex.ts'
import type { ConsensusSigner, Proposal, SignatureVerifier, Vote } from '../signer.ts'
import { createDigester } from './digests.ts'
import type { Eip712Domain } from './domain.ts'
import { addressOfPrivateKey, recoverAddress, signDigest } from './ecdsa.ts'

export interface ConsensusSigningContext {
  readonly domain: Eip712Domain
  /** Votes name their epoch so that a signature from one validator set never counts in another. */
  readonly epoch: number
}

export class SignerMismatchError extends TcfError {
  override readonly name = 'SignerMismatchError'
  readonly code = 'SIGNER_MISMATCH'
}

export function createEip712ConsensusSigner(
  options: ConsensusSigningContext & { readonly privateKey: Hex32 },
): ConsensusSigner {
  const { privateKey, epoch } = options
  const digester = createDigester(options.domain)
  const address = addressOfPrivateKey(privateKey)
  const own = (who: Address, what: string): void => {
    if (who.toLowerCase() !== address) {
      throw new SignerMismatchError(`${what} names ${who} but this signer is ${address}`)
    }
  }
  return {
    address,
    signVote: (vote) => {
      own(vote.validator, 'vote')
      const digest = digester.vote({ ...vote, epoch, blockHash: vote.valueId })
      return { vote, signature: signDigest(privateKey, digest) }
    },
    signProposal: (proposal) => {
      own(proposal.proposer, 'proposal')
      const digest = digester.proposal({ ...proposal, epoch, blockHash: proposal.valueId })
      return { proposal, signature: signDigest(privateKey, digest) }
    },
  }
}

/** Checks that each signature recovers to the validator or proposer the message names. */
export function createEip712Verifier(options: ConsensusSigningContext): SignatureVerifier {
  const { epoch } = options
  const digester = createDigester(options.domain)
  return {
    verifyVote: ({ vote, signature }) =>
      isWellFormedVote(vote) &&
      recoverAddress(digester.vote({ ...vote, epoch, blockHash: vote.valueId }), signature) ===
        vote.validator.toLowerCase(),
    verifyProposal: ({ proposal, signature }) =>
      isWellFormedProposal(proposal) &&
      recoverAddress(digester.proposal({ ...proposal, epoch, blockHash: proposal.valueId }), signature) ===
        proposal.proposer.toLowerCase(),
  }
}

const isHash = (value: unknown): value is Hex32 =>
  typeof value === 'string' && /^0x[0-9a-fA-F]{64}$/.test(value)
const isUint = (value: unknown, max: number): boolean =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max

// The verifier is handed values straight off the wire; out-of-range fields must answer false, not throw.
const isWellFormedVote = (v: Vote): boolean =>
  (v.type === 'prevote' || v.type === 'precommit') &&
  isUint(v.height, Number.MAX_SAFE_INTEGER) &&
  isUint(v.round, 2 ** 32 - 1) &&
  (v.valueId === null || isHash(v.valueId)) &&
  typeof v.validator === 'string'

const isWellFormedProposal = (p: Proposal): boolean =>
  isUint(p.height, Number.MAX_SAFE_INTEGER) &&
  isUint(p.round, 2 ** 32 - 1) &&
  isHash(p.valueId) &&
  Number.isSafeInteger(p.validRound) &&
  p.validRound >= -1 &&
  p.validRound < 2 ** 31 &&
  typeof p.proposer === 'string'
