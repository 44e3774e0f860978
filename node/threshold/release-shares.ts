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
  type PrivacyPlan,
  type RnsBasis,
  readCiphertext,
  statConstant,
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
  /** the certified result: one uncompressed SEAL ciphertext per statistic (committee vaults do not pack) */
  readonly stats: readonly Uint8Array[]
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
 * of the score's statistics, each with its privacy noise, signed in the clear for the block.
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
    constants: input.scoreIndices.map((i) => statConstantOf(basis, input.stats[i]!)),
  })
  return { version: 1, share, attempt: 0 }
}

/**
 * A member's share of statistic i for one participant set, carrying its privacy noise Z (sandbox
 * coefficientNoise): one sample per (member, job, statistic), drawn from a stream keyed by the
 * member's secret release seed, so the score shares of every set and the output shares carry the
 * same Z. Fresh Z per set would give a colluding buyer independent noisy copies of the statistic;
 * the same Z keeps what any one set reveals at one sample of each member's noise.
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
  const noise = plan.stats[i]
  if (!noise || plan.stats.length !== input.stats.length) {
    throw new ThresholdNodeError(
      'RELEASE_INVALID',
      `${plan.stats.length} noise plans for ${input.stats.length} statistics`,
    )
  }
  const share = statShare(basis, key, {
    id: `${jobId}/${resultHash}/${audience}/${i}`,
    ciphertext,
    participants,
    smudgingBits: input.smudgingBits ?? DEFAULT_SMUDGING_BITS,
  })
  // A statistic no output releases is not opened at all: a zero share, which says nothing.
  if (noise.epsilon === 0) return share.map(() => '0')
  const primes = basis.primes.slice(0, share.length)
  const modulus = primes.reduce((a, q) => a * q, 1n)
  const random = new KeyedRandom(key.member.seed, `tcf/threshold/dp-noise/v1/${jobId}/${resultHash}/${i}`)
  const z = coefficientNoise(
    noise,
    readCiphertext(basis, ciphertext).scale,
    modulus,
    key.member.committee.t,
    random,
  )
  return share.map((v, j) => String((((v + z) % primes[j]!) + primes[j]!) % primes[j]!))
}

/** What combining a statistic needs of its ciphertext besides the shares, as the wire carries it. */
export function statConstantOf(basis: RnsBasis, ciphertext: Uint8Array): StatConstant {
  const c = statConstant(basis, ciphertext)
  return { c0: c.c0.map(String), scale: c.scale }
}
