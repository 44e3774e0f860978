import { createHash } from 'node:crypto'
import {
  type Address,
  BUYER_SHARES_INFO,
  type BuyerShares,
  buyerSharesCodec,
  type Eip712Domain,
  eciesSeal,
  fromHex,
  type Hex,
  type Hex32,
  type SealedPayload,
  type ShareSet,
  type StatConstant,
  sealedHashOf,
  signScoreShare,
  type ThresholdRelease,
  toHex,
} from '../../protocol/index.ts'
import {
  bftCommittee,
  DEFAULT_SMUDGING_BITS,
  decodePoly,
  type MemberKey,
  type RnsBasis,
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

export interface MemberReleaseInput {
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
  /** the statistics the quality score reads (sandbox scoreStats) */
  readonly scoreIndices: readonly number[]
  /** the request's sealingPublicKey */
  readonly buyerKey: Hex
  readonly smudgingBits?: number
}

/**
 * One member's whole release of one job: for every set of t members containing it, a smudged
 * one-coefficient share of every statistic sealed to the buyer, and of the score's statistics
 * signed in the clear for the block. The buyer's shares and the committee's are separate openings
 * (separate instances, independent noise). The caller persists the result before sending it and
 * only ever re-sends those bytes.
 */
export function memberRelease(input: MemberReleaseInput): ThresholdRelease {
  const { basis, key, jobId, resultHash } = input
  const { n, t } = key.member.committee
  const smudgingBits = input.smudgingBits ?? DEFAULT_SMUDGING_BITS
  const sets = setsContaining(n, t, key.member.index)
  if (input.scoreIndices.some((i) => !Number.isInteger(i) || i < 0 || i >= input.stats.length)) {
    throw new ThresholdNodeError(
      'RELEASE_INVALID',
      `score statistics ${input.scoreIndices} outside the result`,
    )
  }
  const shareSets = (audience: string, indices: readonly number[]): ShareSet[] =>
    sets.map((participants) => ({
      participants,
      stats: indices.map((i) =>
        statShare(basis, key, {
          id: `${jobId}/${resultHash}/${audience}/${i}`,
          ciphertext: input.stats[i]!,
          participants,
          smudgingBits,
        }).map(String),
      ),
    }))
  const constants: StatConstant[] = input.stats.map((ct) => {
    const c = statConstant(basis, ct)
    return { c0: c.c0.map(String), scale: c.scale }
  })
  const all = input.stats.map((_, i) => i)
  const buyer: BuyerShares = {
    version: 1,
    jobId,
    resultHash,
    member: key.member.index,
    sets: shareSets('buyer', all),
    constants,
  }
  const sealed = sealToBuyer(
    buyerSharesCodec.encode(buyer),
    input.buyerKey,
    key.member.seed,
    `${jobId}/${resultHash}`,
  )
  const share = signScoreShare(input.domain, input.validatorKey, {
    jobId,
    resultHash,
    keyHash: input.keyHash,
    member: key.member.index,
    validator: input.validator,
    sets: shareSets('score', input.scoreIndices),
    constants: input.scoreIndices.map((i) => constants[i]!),
    sealedHash: sealedHashOf(sealed),
  })
  return { version: 1, share, sealed, attempt: 0 }
}

/**
 * The ephemeral key and nonce derive from the member's seed and the opening, like a DKG dealing's:
 * recomputed after a restart the whole release is byte-identical, and one (key, nonce) only ever
 * seals these same shares.
 */
function sealToBuyer(plaintext: Uint8Array, buyerKey: Hex, seed: Uint8Array, opening: string): SealedPayload {
  const derive = (what: string) =>
    new Uint8Array(
      createHash('sha256')
        .update(`tcf/threshold/buyer-seal/${what}/v1`)
        .update(seed)
        .update(opening)
        .digest(),
    )
  const parts = eciesSeal(
    plaintext,
    fromHex(buyerKey),
    { info: BUYER_SHARES_INFO },
    {
      ephemeralKey: derive('key'),
      nonce: derive('nonce').subarray(0, 12),
    },
  )
  return {
    scheme: 'secp256k1-hkdf-sha256-aes256gcm',
    ephemeralPublicKey: toHex(parts.ephemeralPublicKey),
    nonce: toHex(parts.nonce),
    ciphertext: toHex(parts.ciphertext),
  }
}
