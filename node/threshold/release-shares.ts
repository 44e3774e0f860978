import { createHash } from 'node:crypto'
import {
  type Address,
  type Eip712Domain,
  fromHex,
  type Hex32,
  type ShareSet,
  type StatConstant,
  signScoreShare,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import {
  bftCommittee,
  coefficientNoise,
  DEFAULT_SMUDGING_BITS,
  decodePoly,
  KeyedRandom,
  type MemberKey,
  type PackPlan,
  type PrivacyPlan,
  type RnsBasis,
  readCiphertext,
  type StatNoise,
  statConstant,
  statLocations,
  statShare,
} from '../../sandbox/index.ts'
import { ThresholdNodeError } from './errors.ts'
import type { HeldShare } from './keyring.ts'

/**
 * A member's key as the release uses it: its held Shamir share, and a seed for the share's
 * randomness derived from its validator key and the collective key, so it is secret, fixed for the
 * key, and the same after a restart (the shares are persisted anyway; docs/threshold.md).
 */
export function releaseKey(
  basis: RnsBasis,
  held: HeldShare,
  committeeSize: number,
  validatorKey: Hex32,
): MemberKey {
  const seed = createHash('sha256')
    .update('tcf/threshold/release-seed/v1')
    .update(fromHex(validatorKey))
    .update(fromHex(held.keyHash))
    .digest()
  return {
    member: { committee: bftCommittee(committeeSize), index: held.member, seed: new Uint8Array(seed) },
    share: decodePoly(basis, fromHex(held.share), basis.primes.length, 'held share'),
  }
}

/** Every set of t members of 1..n that contains `member`, ascending, in lexicographic order. */
export function setsContaining(n: number, t: number, member: number): number[][] {
  const out: number[][] = []
  const pick = (from: number, chosen: number[]) => {
    if (chosen.length === t) {
      if (chosen.includes(member)) out.push([...chosen])
      return
    }
    for (let i = from; i <= n; i++) pick(i + 1, [...chosen, i])
  }
  pick(1, [])
  return out
}

/** Who opens which certified result: a member's signing key, committee key share and the ciphertexts. */
export interface MemberOpening {
  readonly domain: Eip712Domain
  readonly validatorKey: Hex32
  readonly validator: Address
  readonly basis: RnsBasis
  readonly key: MemberKey
  readonly keyHash: Hex32
  readonly jobId: Hex32
  readonly resultHash: Hex32
  /**
   * the certified result, per statistic: the uncompressed SEAL ciphertext that holds it (stats an
   * integer-mask pack holds share one), and in `coefficients` the index of its one coefficient
   * (0 for all when absent: a stat alone; sandbox statLocations)
   */
  readonly stats: readonly Uint8Array[]
  readonly coefficients?: readonly number[]
  readonly smudgingBits?: number
}

export interface MemberReleaseInput extends MemberOpening {
  /** the statistics the quality score reads (sandbox scoreStats) */
  readonly scoreIndices: readonly number[]
  /** the job's privacy plan (the one admission charged), whose noise each member adds in full */
  readonly plan: PrivacyPlan
}

/**
 * Phase 1 of a member's release of one job: for every set of t members containing it, its share
 * of the score's statistics, each with its privacy noise (noisyShare), signed in the clear for the
 * block.
 * Nothing else for the buyer yet: that waits for the block that fixes the set and the score
 * (output-shares.ts). Deterministic: recomputed after a restart it is byte-identical, and the
 * caller persists it before sending it anyway.
 */
export function memberRelease(input: MemberReleaseInput): ThresholdRelease {
  const { basis, key, jobId, resultHash } = input
  const { n, t } = key.member.committee
  const sets = setsContaining(n, t, key.member.index)
  if (input.scoreIndices.some((i) => !Number.isInteger(i) || i < 0 || i >= input.stats.length)) {
    throw new ThresholdNodeError(
      'RELEASE_INVALID',
      `score statistics ${input.scoreIndices} outside the result`,
    )
  }
  const shareSets: ShareSet[] = sets.map((participants) => ({
    participants,
    stats: input.scoreIndices.map((i) => noisyShare(input, input.plan, i, participants, 'score')),
  }))
  const share = signScoreShare(input.domain, input.validatorKey, {
    jobId,
    resultHash,
    keyHash: input.keyHash,
    member: key.member.index,
    validator: input.validator,
    sets: shareSets,
    constants: input.scoreIndices.map((i) => statConstantOf(basis, input.stats[i]!, coefficientOf(input, i))),
  })
  return { version: 1, share, attempt: 0 }
}

/**
 * A member's share of statistic i for one participant set, carrying its own privacy noise Z
 * (sandbox coefficientNoise), a fresh sample per (member, job, audience, set, statistic) from a
 * stream keyed by the member's secret release seed: the same after a restart, unpredictable to
 * anyone else.
 *
 * Why fresh per set: a member reusing one Z in several sets lets anyone who knows another member's
 * Z (that member, colluding) combine the sets' openings so the honest noises cancel: at n = 4,
 * (x+Z2+Z4) + (x+Z3+Z4) + (x+Z2+Z3) - 2(x+Z2+Z3+Z4) = x exactly. With fresh noise each set's
 * opening is one more independent release, so the score audience, opened for all C(n, t) sets at
 * once, gets each member's noise C(n, t) times wider: by basic composition the score statistics
 * then cost the stat's epsilon over all sets together, as long as one member of each set is
 * honest. The buyer's audience is opened for the block's set S only, at full scale.
 */
export function noisyShare(
  input: MemberOpening,
  plan: PrivacyPlan,
  i: number,
  participants: readonly number[],
  audience: 'score' | 'buyer',
): string[] {
  const { basis, key, jobId, resultHash } = input
  const ciphertext = input.stats[i]!
  const planned = plan.stats[i]
  if (!planned || plan.stats.length !== input.stats.length) {
    throw new ThresholdNodeError(
      'RELEASE_INVALID',
      `${plan.stats.length} noise plans for ${input.stats.length} statistics`,
    )
  }
  const share = statShare(
    basis,
    key,
    {
      id: `${jobId}/${resultHash}/${audience}/${i}`,
      ciphertext,
      participants,
      smudgingBits: input.smudgingBits ?? DEFAULT_SMUDGING_BITS,
    },
    coefficientOf(input, i),
  )
  // A statistic no output releases is not opened at all: a zero share, which says nothing.
  if (planned.epsilon === 0) return share.map(() => '0')
  const { n, t } = key.member.committee
  const noise = audience === 'score' ? widened(planned, binomial(n, t)) : planned
  const primes = basis.primes.slice(0, share.length)
  const modulus = primes.reduce((a, q) => a * q, 1n)
  const label = `tcf/threshold/dp-noise/v1/${jobId}/${resultHash}/${audience}/${participants.join(',')}/${i}`
  const z = coefficientNoise(
    noise,
    readCiphertext(basis, ciphertext).scale,
    modulus,
    t,
    new KeyedRandom(key.member.seed, label),
  )
  return share.map((v, j) => String((((v + z) % primes[j]!) + primes[j]!) % primes[j]!))
}

/** A stat's noise for one of `sets` openings that together spend its epsilon. */
function widened(noise: StatNoise, sets: number): StatNoise {
  return { ...noise, epsilon: noise.epsilon / sets, scale: noise.scale * sets, std: noise.std * sets }
}

/** C(n, k): the participant sets a committee can open with. */
export function binomial(n: number, k: number): number {
  let c = 1
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i
  return Math.round(c)
}

/** What combining a statistic needs of its ciphertext besides the shares, as the wire carries it. */
export function statConstantOf(basis: RnsBasis, ciphertext: Uint8Array, coefficient = 0): StatConstant {
  const c = statConstant(basis, ciphertext, coefficient)
  return { c0: c.c0.map(String), scale: c.scale }
}

/** Statistic i's coefficient in its ciphertext; a stat packed with integer masks sits at ks, not 0. */
export function coefficientOf(input: MemberOpening, i: number): number {
  if (!input.coefficients) return 0
  if (input.coefficients.length !== input.stats.length) {
    throw new ThresholdNodeError(
      'RELEASE_INVALID',
      `${input.coefficients.length} coefficients for ${input.stats.length} statistics`,
    )
  }
  return input.coefficients[i]!
}

/**
 * A member's opening per statistic from the certified result's ciphertexts (one per pack): each
 * statistic's ciphertext and its coefficient, where the circuit's packs put it.
 */
export function statOpenings(
  results: readonly Uint8Array[],
  packs: readonly PackPlan[],
  statCount: number,
  slotCount: number,
): Pick<MemberOpening, 'stats' | 'coefficients'> {
  if (results.length !== packs.length) {
    throw new ThresholdNodeError(
      'RELEASE_INVALID',
      `the result holds ${results.length} ciphertexts, the circuit packs its stats into ${packs.length}`,
    )
  }
  const locations = statLocations(packs, statCount, slotCount)
  return {
    stats: locations.map((l) => results[l.result]!),
    coefficients: locations.map((l) => l.coefficient),
  }
}
