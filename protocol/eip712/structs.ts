import type { TypedDataField } from 'ethers'
import type { VoteType } from '../signer.ts'

// The typed structs every signer in the network uses. The Solidity contracts hard-code the same
// type strings (Anchor.sol, ValidatorRegistry.sol); a test pins their hashes against these.

/** voteType distinguishes prevotes from precommits so that one can never be replayed as the other. */
export const VOTE_TYPES: Record<string, TypedDataField[]> = {
  Vote: [
    { name: 'voteType', type: 'uint8' },
    { name: 'epoch', type: 'uint64' },
    { name: 'height', type: 'uint64' },
    { name: 'round', type: 'uint32' },
    { name: 'blockHash', type: 'bytes32' },
  ],
}

/** validRound is -1 when the proposer holds no valid value from an earlier round. */
export const PROPOSAL_TYPES: Record<string, TypedDataField[]> = {
  Proposal: [
    { name: 'epoch', type: 'uint64' },
    { name: 'height', type: 'uint64' },
    { name: 'round', type: 'uint32' },
    { name: 'blockHash', type: 'bytes32' },
    { name: 'validRound', type: 'int32' },
  ],
}

export const RESULT_ATTESTATION_TYPES: Record<string, TypedDataField[]> = {
  ResultAttestation: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'resultHash', type: 'bytes32' },
    { name: 'execEnvHash', type: 'bytes32' },
  ],
}

/** The buyer signs the request's fields; the spec itself is covered by specHash. */
export const JOB_REQUEST_TYPES: Record<string, TypedDataField[]> = {
  JobRequest: [
    { name: 'vaultId', type: 'bytes32' },
    { name: 'specHash', type: 'bytes32' },
    { name: 'buyer', type: 'address' },
    { name: 'maxPrice', type: 'uint256' },
    { name: 'deadline', type: 'uint64' },
    { name: 'nonce', type: 'bytes32' },
    { name: 'sealingPublicKey', type: 'bytes' },
  ],
}

/** The vault owner's release of a certified result: what it scored and which ciphertext it sent. */
export const RELEASE_TYPES: Record<string, TypedDataField[]> = {
  Release: [
    { name: 'jobId', type: 'bytes32' },
    { name: 'resultHash', type: 'bytes32' },
    { name: 'qualityScore', type: 'uint32' },
    { name: 'sampleSize', type: 'uint32' },
    { name: 'completeness', type: 'uint32' },
    { name: 'plausibility', type: 'uint32' },
    { name: 'fitness', type: 'uint32' },
    { name: 'sealedHash', type: 'bytes32' },
  ],
}

/**
 * A committee member's approval of its epoch's collective CKKS key (issue #13). setHash names the
 * signing set, so a signature cannot be counted for another epoch's set; the domain's
 * verifyingContract is the Anchor that records it (Anchor.registerCommitteeKey).
 */
export const COMMITTEE_KEY_TYPES: Record<string, TypedDataField[]> = {
  CommitteeKey: [
    { name: 'epoch', type: 'uint64' },
    { name: 'setHash', type: 'bytes32' },
    { name: 'keyHash', type: 'bytes32' },
  ],
}

/**
 * Any DKG wire message (protocol/messages/dkg*.ts): kind names the message type, so a signature on
 * one kind is never valid for another; bodyHash is keccak256 of the message's canonical bytes without
 * its signature field.
 */
export const DKG_MESSAGE_TYPES: Record<string, TypedDataField[]> = {
  DkgMessage: [
    { name: 'kind', type: 'string' },
    { name: 'instanceId', type: 'bytes32' },
    { name: 'bodyHash', type: 'bytes32' },
  ],
}

/**
 * A contributor's claim on a contribution to a pool (protocol/messages/contribution.ts). poolId is
 * signed so that a claim is never valid in another pool.
 */
export const CONTRIBUTION_TYPES: Record<string, TypedDataField[]> = {
  Contribution: [
    { name: 'poolId', type: 'bytes32' },
    { name: 'contributor', type: 'address' },
    { name: 'window', type: 'uint64' },
    { name: 'sequence', type: 'uint64' },
    { name: 'blobId', type: 'bytes32' },
  ],
}

/** A pool curator's ban of a contributor key. */
export const POOL_BAN_TYPES: Record<string, TypedDataField[]> = {
  PoolBan: [
    { name: 'poolId', type: 'bytes32' },
    { name: 'contributor', type: 'address' },
  ],
}

export const VOTE_TYPE_CODE = { prevote: 1, precommit: 2 } as const satisfies Record<VoteType, number>

/** 'Vote(uint8 voteType,...)': the EIP-712 encodeType string of a single-struct type set. */
export function encodeType(types: Record<string, TypedDataField[]>): string {
  const [name, fields] = Object.entries(types)[0]!
  return `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`
}
