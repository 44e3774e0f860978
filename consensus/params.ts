import { ConsensusError } from './errors.ts'
import type { Mutation } from './mutation.ts'

export type TimeoutKind = 'propose' | 'prevote' | 'precommit'

/** A timeout grows linearly with the round so that, after GST, rounds eventually last long enough. */
export interface TimeoutParams {
  /** Duration in round 0, in milliseconds. */
  readonly base: number
  /** Added per round, in milliseconds. */
  readonly delta: number
}

export interface ConsensusParams {
  readonly timeouts: Readonly<Record<TimeoutKind, TimeoutParams>>
  /** Test-only: see mutation.ts. */
  readonly mutation?: Mutation
}

export const DEFAULT_PARAMS: ConsensusParams = {
  timeouts: {
    propose: { base: 3000, delta: 500 },
    prevote: { base: 1000, delta: 500 },
    precommit: { base: 1000, delta: 500 },
  },
}

export function timeoutDuration(params: ConsensusParams, kind: TimeoutKind, round: number): number {
  const t = params.timeouts[kind]
  return t.base + t.delta * round
}

export function validateParams(params: ConsensusParams): ConsensusParams {
  for (const [kind, t] of Object.entries(params.timeouts)) {
    if (!(t.base > 0) || !(t.delta >= 0)) {
      throw new ConsensusError('invalid-params', `timeout ${kind} needs base > 0 and delta >= 0`)
    }
  }
  return params
}
