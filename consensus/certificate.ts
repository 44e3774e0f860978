import type { SignatureVerifier, SignedVote, ValueId } from '../protocol/index.ts'
import type { ValidatorSet } from './validator-set.ts'

/** Proof that a value was decided: precommits of more than two thirds of the power, in one round. */
export interface CommitCertificate {
  readonly height: number
  readonly round: number
  readonly valueId: ValueId
  readonly precommits: readonly SignedVote[]
}

/** Checks what the chain's anchor checks: distinct members, matching precommits, valid signatures, quorum. */
export function verifyCommitCertificate(
  certificate: CommitCertificate,
  validators: ValidatorSet,
  verifier: SignatureVerifier,
): boolean {
  const signers = new Set<string>()
  let power = 0
  for (const sv of certificate.precommits) {
    const v = sv.vote
    if (
      v.type !== 'precommit' ||
      v.height !== certificate.height ||
      v.round !== certificate.round ||
      v.valueId !== certificate.valueId ||
      signers.has(v.validator) ||
      !validators.has(v.validator) ||
      !verifier.verifyVote(sv)
    ) {
      return false
    }
    signers.add(v.validator)
    power += validators.powerOf(v.validator)
  }
  return validators.isQuorum(power)
}
