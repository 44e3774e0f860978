import type { Circuit } from '../compiler/circuit.ts'
import type { PoolLayout } from '../contribution/layout.ts'
import type { PoolPrivacyPlan } from '../dp/pool-plan.ts'
import { releasePoolNoisy } from '../dp/pool-release.ts'
import { committeePoolPlan, poolSlotNoise } from '../dp/pool-slot-noise.ts'
import type { ReleasedResult } from '../dp/release.ts'
import type { HeContext } from '../he/seal.ts'
import type { Expect } from '../spec/schema.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import { combineDecryption, DEFAULT_SMUDGING_BITS, decodePlaintext, smudgingErrorBound } from './decrypt.ts'
import { ThresholdError } from './errors.ts'
import { checkPoolOpening, lowestLevel, readPoolOutputShare } from './pool-share.ts'
import { rnsBasis } from './rns.ts'

export interface PoolOpenInput {
  readonly ctx: HeContext
  /** the snapshot's aggregate the job read: uncompressed SEAL bytes at one prime */
  readonly aggregate: Uint8Array
  /** S, ascending, as the releasing block names it */
  readonly participants: readonly number[]
  /** each member of S's poolOutputShare bytes, in the order of `participants` */
  readonly shares: readonly Uint8Array[]
  /** the pool's manifest as the job compiled against it (snapshotManifest) */
  readonly manifest: VaultManifest
  readonly circuit: Circuit
  /** the job's plan (planPoolRelease), the one each member drew its noise from */
  readonly plan: PoolPrivacyPlan
  readonly layout: PoolLayout
  readonly expect: Expect
  readonly smudgingBits?: number
}

/**
 * The buyer's side of a pool job's slot release: the t shares of S checked and combined with the
 * aggregate's c0, decoded to slots, and released as owner mode releases a pool (releasePoolNoisy:
 * grids, gates, outputs) with the plan as t noises and the smudging make it (committeePoolPlan), so
 * the stated 95% errors count all of them and the gates keep their false-release bound.
 * The buyer adds no noise: each slot already carries every member's.
 */
export function openPoolRelease(input: PoolOpenInput): ReleasedResult {
  const slots = combinePoolShares(input)
  const t = input.participants.length
  const bits = input.smudgingBits ?? DEFAULT_SMUDGING_BITS
  const basis = rnsBasis(input.ctx)
  const scale = lowestLevel(basis, input.aggregate).scale
  const bound = smudgingErrorBound(basis.n, t, bits, scale)
  try {
    return releasePoolNoisy({
      manifest: input.manifest,
      circuit: input.circuit,
      plan: committeePoolPlan(input.plan, t, bound / 7.5, bound),
      layout: input.layout,
      expect: input.expect,
      slots,
    })
  } finally {
    // the opened totals, exact up to the members' noise, do not outlive the release
    slots.fill(0)
  }
}

/**
 * c0 + Σ d_i decoded: every slot's total with the t members' noises and smudging. Refuses a set
 * that is not ascending distinct members, a share count other than the set's, a share that is not
 * one below-prime limb, and a plan whose noise could overflow the aggregate's prime.
 */
export function combinePoolShares(
  input: Pick<PoolOpenInput, 'ctx' | 'aggregate' | 'participants' | 'shares' | 'plan' | 'layout' | 'circuit'>,
): Float64Array {
  const { ctx, participants, shares } = input
  const basis = rnsBasis(ctx)
  const ct = lowestLevel(basis, input.aggregate)
  if (
    participants.some((p, i) => !Number.isSafeInteger(p) || p < 1 || (i > 0 && p <= participants[i - 1]!))
  ) {
    throw new ThresholdError(
      'PARTICIPANTS_INVALID',
      'participants',
      `${participants.join(',')} is not an ascending set of member indices`,
    )
  }
  if (shares.length !== participants.length) {
    throw new ThresholdError(
      'PARTICIPANTS_INVALID',
      'shares',
      `${shares.length} shares for the ${participants.length} members of the set`,
    )
  }
  const slotNoise = poolSlotNoise(input.plan, input.layout, input.circuit)
  checkPoolOpening(
    basis,
    ct.scale,
    { slotNoise, recordBound: input.circuit.recordCount, participants },
    participants.length,
  )
  const polys = shares.map((bytes, i) => readPoolOutputShare(basis, bytes, `shares[${i}]`))
  const slots = decodePlaintext(ctx, combineDecryption(basis, input.aggregate, polys))
  return slots.subarray(0, input.layout.monomials.length)
}
