/**
 * Deliberate bugs that tests switch on to prove the simulator catches broken
 * consensus. Never set in production: each one violates the paper.
 *
 * - `quorum-2f`: a quorum is 2f votes instead of 2f+1 (more than half the power
 *   instead of more than two thirds), so two quorums no longer intersect in an
 *   honest validator.
 * - `prevote-ignoring-lock`: a locked validator prevotes for any valid
 *   proposal, i.e. it unlocks without seeing a newer polka.
 * - `ignore-valid-round`: a proposer proposes a fresh value even when it knows
 *   a polka-backed `validValue`, so locked validators can never be unlocked.
 * - `broadcast-before-persist`: own votes go out before they reach the WAL, so
 *   a crash can lose a vote that peers already hold.
 */
export type Mutation =
  | 'quorum-2f'
  | 'prevote-ignoring-lock'
  | 'ignore-valid-round'
  | 'broadcast-before-persist'

export const MUTATIONS: readonly Mutation[] = [
  'quorum-2f',
  'prevote-ignoring-lock',
  'ignore-valid-round',
  'broadcast-before-persist',
]
