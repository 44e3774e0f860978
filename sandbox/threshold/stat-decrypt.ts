import { additiveShare, type DecryptionInstance, freshCiphertext, instancePrg } from './decrypt.ts'
import { ThresholdError } from './errors.ts'
import type { MemberKey } from './key-share.ts'
import { invMod } from './ntt.ts'
import { mul, type RnsBasis, toCoeffs } from './rns.ts'

/**
 * Opening one statistic, not a whole polynomial. A lone stat's total is
 * the constant coefficient of c0 + c1·s divided by the scale (and the mean
 * of its decoded slots, what decryptStats takes; evaluate.ts reduceAlone),
 * while its other coefficients hold slot-wise partial sums. So a member
 * reveals that one coefficient and nothing else: d_i = (c1·λ_i·sh_i)[0] + E_i, one smudged integer per
 * prime of the ciphertext. Against a full decryption share this reveals
 * one noisy linear equation in the key instead of N (the smudging argument
 * in docs/threshold.md improves by a factor N), and the share is 8 bytes per
 * prime instead of 64 KiB per prime. For the quality statistics the
 * committee opens to itself. A stat packed with integer masks is one
 * coefficient too, at another index (stat-coefficients.ts): the same holds
 * there, with `coefficient` in place of 0.
 */
export type StatShare = readonly bigint[]

export function statShare(
  basis: RnsBasis,
  key: MemberKey,
  inst: DecryptionInstance,
  coefficient = 0,
): StatShare {
  const ct = freshCiphertext(basis, inst.ciphertext, 'ciphertext')
  checkCoefficient(basis, coefficient)
  const limbCount = ct.polys[0]!.limbs.length
  const s = additiveShare(basis, key, inst.participants, limbCount)
  const prg = instancePrg(key, 'stat', inst)
  const e = prg.smudging(inst.smudgingBits, 1)[0]!
  return toCoeffs(basis, mul(basis, ct.polys[1]!, s)).map((limb, j) => {
    const q = basis.primes[j]!
    return (((limb[coefficient]! + e) % q) + q) % q
  })
}

/** A packed stat sits at another coefficient (stat-coefficients.ts); any index of the ring is one. */
function checkCoefficient(basis: RnsBasis, coefficient: number): void {
  if (!Number.isInteger(coefficient) || coefficient < 0 || coefficient >= basis.n) {
    throw new ThresholdError('PARAMS_INVALID', 'coefficient', `${coefficient} is not in 0..${basis.n - 1}`)
  }
}

/** c0[k] + Σ d_i, lifted from RNS to a centred integer and divided by the scale: the stat's value. */
export function combineStat(
  basis: RnsBasis,
  ciphertext: Uint8Array,
  shares: readonly StatShare[],
  coefficient = 0,
): number {
  return combineStatResidues(basis.primes, statConstant(basis, ciphertext, coefficient), shares)
}

/**
 * What combining needs of the ciphertext besides the shares: the stat's coefficient of c0 (one
 * residue per prime it keeps) and its scale. Public, and small, so a combiner needs no ciphertext.
 */
export interface StatConstant {
  readonly c0: readonly bigint[]
  readonly scale: number
}

export function statConstant(basis: RnsBasis, ciphertext: Uint8Array, coefficient = 0): StatConstant {
  const ct = freshCiphertext(basis, ciphertext, 'ciphertext')
  checkCoefficient(basis, coefficient)
  return { c0: toCoeffs(basis, ct.polys[0]!).map((limb) => limb[coefficient]!), scale: ct.scale }
}

/** The combination itself, over the key-level `primes` of the profile. */
export function combineStatResidues(
  primes: readonly bigint[],
  constant: StatConstant,
  shares: readonly StatShare[],
): number {
  const limbCount = constant.c0.length
  if (limbCount === 0 || limbCount > primes.length) {
    throw new ThresholdError(
      'SHARE_INVALID',
      'stat constant',
      `has ${limbCount} residues for ${primes.length} primes`,
    )
  }
  if (constant.c0.some((v, j) => v < 0n || v >= primes[j]!)) {
    throw new ThresholdError('SHARE_INVALID', 'stat constant', 'has a residue not below its prime')
  }
  if (!(constant.scale > 0) || !Number.isFinite(constant.scale)) {
    throw new ThresholdError('SHARE_INVALID', 'stat constant', `has scale ${constant.scale}`)
  }
  if (shares.length === 0) throw new ThresholdError('SHARE_INVALID', 'stat shares', 'none')
  shares.forEach((sh, i) => {
    if (sh.length !== limbCount || sh.some((v, j) => v < 0n || v >= primes[j]!)) {
      throw new ThresholdError(
        'SHARE_INVALID',
        `stat shares[${i}]`,
        `is not ${limbCount} residues below their primes`,
      )
    }
  })
  const residues = constant.c0.map((c, j) => {
    const q = primes[j]!
    return shares.reduce((acc, sh) => (acc + sh[j]!) % q, c)
  })
  return Number(centredCrt(primes.slice(0, limbCount), residues)) / constant.scale
}

/** The residues' integer in (−Q/2, Q/2], Q the product of `primes`. */
export function centredCrt(primes: readonly bigint[], residues: readonly bigint[]): bigint {
  const modulus = primes.reduce((a, q) => a * q, 1n)
  let x = 0n
  primes.forEach((q, j) => {
    const rest = modulus / q
    x = (x + residues[j]! * rest * invMod(rest % q, q)) % modulus
  })
  return x > modulus / 2n ? x - modulus : x
}
