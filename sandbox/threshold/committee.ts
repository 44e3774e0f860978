import { ThresholdError } from './errors.ts'

/**
 * A committee of n = 3f+1 members of which any t = 2f+1 open a ciphertext:
 * f may be offline, and 2f colluders (fewer than t) learn nothing. Members
 * are numbered 1..n; the number is also the Shamir evaluation point, so 0
 * (where the secret sits) is never a member.
 */
export interface Committee {
  readonly n: number
  readonly t: number
}

/** The BFT committee for n members: t = 2f+1 with f = ⌊(n-1)/3⌋. */
export function bftCommittee(n: number): Committee {
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new ThresholdError('PARAMS_INVALID', 'n', `${n} is not a committee size in 1..1000`)
  }
  const f = Math.floor((n - 1) / 3)
  return { n, t: 2 * f + 1 }
}

export function checkCommittee(c: Committee): void {
  if (!Number.isInteger(c.n) || c.n < 1 || c.n > 1000) {
    throw new ThresholdError('PARAMS_INVALID', 'committee.n', `${c.n} is not a committee size in 1..1000`)
  }
  if (!Number.isInteger(c.t) || c.t < 1 || c.t > c.n) {
    throw new ThresholdError('PARAMS_INVALID', 'committee.t', `${c.t} is not a threshold in 1..${c.n}`)
  }
}

export function checkMemberIndex(c: Committee, index: number, field: string): void {
  if (!Number.isInteger(index) || index < 1 || index > c.n) {
    throw new ThresholdError('PARTICIPANTS_INVALID', field, `${index} is not a member index in 1..${c.n}`)
  }
}

/**
 * A set of members who combine: at least t distinct indices in 1..n, in
 * ascending order (one canonical form, so every combiner and every share
 * binds the same bytes).
 */
export function checkParticipants(c: Committee, participants: readonly number[]): void {
  participants.forEach((p, i) => {
    checkMemberIndex(c, p, `participants[${i}]`)
    if (i > 0 && p <= participants[i - 1]!) {
      throw new ThresholdError('PARTICIPANTS_INVALID', 'participants', 'must be distinct and ascending')
    }
  })
  if (participants.length < c.t) {
    throw new ThresholdError(
      'PARTICIPANTS_INVALID',
      'participants',
      `${participants.length} members cannot combine: the threshold is ${c.t} of ${c.n}`,
    )
  }
}
