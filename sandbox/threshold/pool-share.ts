import { createHash } from 'node:crypto'
import { coefficientNoise } from '../dp/committee-noise.ts'
import type { StatNoise } from '../dp/plan.ts'
import { checkSlotCapacity } from '../dp/pool-slot-noise.ts'
import { type RandomSource, uniformFromBytes } from '../dp/random.ts'
import type { HeContext } from '../he/seal.ts'
import { canonicalBytes } from '../he/serialize.ts'
import { DEFAULT_SMUDGING_BITS, decryptionShare, freshCiphertext } from './decrypt.ts'
import { ThresholdError } from './errors.ts'
import type { MemberKey } from './key-share.ts'
import { sharePrg } from './member.ts'
import { decodePoly, encodePoly } from './poly-codec.ts'
import { add, type RnsBasis, type RnsPoly, rnsBasis } from './rns.ts'
import { readPlaintext } from './seal-format.ts'

/**
 * One opening of a pool snapshot's aggregate to a job's buyer by the set S. A pool's aggregate
 * holds a different total in every slot, so it is opened as a whole polynomial, not one
 * coefficient per statistic (stat-decrypt.ts).
 */
export interface PoolOpening {
  /** the snapshot's aggregate: uncompressed SEAL ciphertext bytes at the lowest level (one prime) */
  readonly aggregate: Uint8Array
  /** S, ascending: the t members whose shares the buyer combines; each weights its key share for S */
  readonly participants: readonly number[]
  /** what is opened, e.g. `${jobId}/${resultHash}`: the smudging and the privacy noise are fixed by it */
  readonly label: string
  /** each layout slot's privacy noise (poolSlotNoise of the job's plan), slot by slot */
  readonly slotNoise: readonly StatNoise[]
  /** the most records the snapshot holds (the plan's record bound): each slot's total is within ±this */
  readonly recordBound: number
  readonly smudgingBits?: number
}

/**
 * A member's share of a pool opening: d_i = λ_i·sh_i·c1 + E_i + Encode(Z_i), with E_i the smudging
 * polynomial (decryptionShare) and Z_i its **privacy noise per slot**: for each layout slot a
 * discrete Laplace sample at the plan's scale for that slot (coefficientNoise: scale b·γ·Δ over the
 * integers, so at a 1/Δ resolution in the slot's units), encoded into the slots at the aggregate's
 * scale Δ. Combined, c0 + Σ d_i decodes to every slot's total plus the t members' noises: the
 * buyer never sees a slot with less than one member's full noise, and one honest member's noise
 * alone makes each slot as private as the plan charges (docs/pools.md, "The slot release").
 *
 * Deterministic: the smudging comes from the member's seed bound to the opening and the aggregate,
 * the noise from a stream keyed by the member's secret seed and labelled by the opening, the set and
 * the aggregate's hash, so a re-send after a restart is byte-identical. Bound to the aggregate, a
 * label reused on other bytes draws other noise, so two openings never differ by the data alone.
 * Returns the share's wire bytes (encodePoly, one limb: 65,546 bytes at N = 8192).
 */
export function poolOutputShare(ctx: HeContext, key: MemberKey, opening: PoolOpening): Uint8Array {
  const basis = rnsBasis(ctx)
  const ct = lowestLevel(basis, opening.aggregate)
  const { t } = key.member.committee
  checkPoolOpening(basis, ct.scale, opening, t)
  const smudgingBits = opening.smudgingBits ?? DEFAULT_SMUDGING_BITS
  const d = decryptionShare(basis, key, {
    id: `tcf/pool-output/${opening.label}`,
    ciphertext: opening.aggregate,
    participants: [...opening.participants],
    smudgingBits,
  })
  // AES-CTR from the member's seed (sharePrg), not KeyedRandom's HMAC per 32 bytes: 4,096 exact
  // samples take a quarter of the time. Bound to the opening, the set and the aggregate's bytes.
  const aggregateHash = createHash('sha256').update(opening.aggregate).digest('hex')
  const prg = sharePrg(key.member, 'pool-noise/v1', [
    opening.label,
    opening.participants.join(','),
    aggregateHash,
  ])
  const random: RandomSource = { uniform: (bound) => uniformFromBytes(bound, (n) => prg.bytes(n)) }
  const prime = basis.primes[0]!
  const values = new Float64Array(basis.n / 2)
  opening.slotNoise.forEach((noise, j) => {
    values[j] = Number(coefficientNoise(noise, ct.scale, prime, t, random)) / ct.scale
  })
  const z = encodeAtLowest(ctx, basis, values, ct.scale)
  values.fill(0)
  return encodePoly(add(basis, d, z))
}

/**
 * A share's bytes checked: the wire form, one limb (the aggregate's one prime), N coefficients, each
 * below the prime. Anything else is a ThresholdError `SHARE_INVALID` naming `what`.
 */
export function readPoolOutputShare(basis: RnsBasis, bytes: Uint8Array, what = 'pool share'): RnsPoly {
  return decodePoly(basis, bytes, 1, what)
}

/** The aggregate, refused unless it is a fresh 2-polynomial ciphertext at one prime. */
export function lowestLevel(basis: RnsBasis, aggregate: Uint8Array): ReturnType<typeof freshCiphertext> {
  const ct = freshCiphertext(basis, aggregate, 'aggregate')
  if (ct.polys[0]!.limbs.length !== 1) {
    throw new ThresholdError(
      'SEAL_BYTES_INVALID',
      'aggregate',
      `has ${ct.polys[0]!.limbs.length} primes; a pool's aggregate is at the lowest level, one prime`,
    )
  }
  return ct
}

/** The opening's shape, and its t noises within the aggregate's prime (checkSlotCapacity). */
export function checkPoolOpening(
  basis: RnsBasis,
  scale: number,
  opening: Pick<PoolOpening, 'slotNoise' | 'recordBound' | 'participants'>,
  members: number,
): void {
  if (opening.slotNoise.length === 0 || opening.slotNoise.length > basis.n / 2) {
    throw new ThresholdError(
      'PARAMS_INVALID',
      'slotNoise',
      `${opening.slotNoise.length} slots; an aggregate has 1 to ${basis.n / 2}`,
    )
  }
  if (!Number.isSafeInteger(opening.recordBound) || opening.recordBound < 1) {
    throw new ThresholdError(
      'PARAMS_INVALID',
      'recordBound',
      `${opening.recordBound} is not a positive integer`,
    )
  }
  if (opening.participants.length !== members) {
    throw new ThresholdError(
      'PARTICIPANTS_INVALID',
      'participants',
      `${opening.participants.length} members; the slot release opens with exactly t = ${members}`,
    )
  }
  checkSlotCapacity(opening.slotNoise, opening.recordBound, members, scale, basis.primes[0]!)
}

/**
 * `values` encoded by SEAL's CKKS encoder at `scale`, switched to the lowest level, as an NTT-form
 * polynomial of one limb. SEAL's encoding is floating point in WASM, deterministic for the same
 * input and node-seal build.
 */
function encodeAtLowest(ctx: HeContext, basis: RnsBasis, values: Float64Array, scale: number): RnsPoly {
  const plain = new ctx.seal.Plaintext()
  try {
    ctx.encoder.encode(values, scale, plain)
    ctx.evaluator.plainModSwitchToInplace(plain, ctx.lastParmsId)
    return readPlaintext(basis, canonicalBytes(ctx, plain), 'privacy noise').poly
  } finally {
    plain.delete()
  }
}
