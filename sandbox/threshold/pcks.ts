import { errorPoly } from './ckg.ts'
import { additiveShare, freshCiphertext, instancePrg, smudgingPoly } from './decrypt.ts'
import { ThresholdError } from './errors.ts'
import type { MemberKey } from './key-share.ts'
import { add, checkPoly, fromSigned, mul, prefix, type RnsBasis, type RnsPoly, sum } from './rns.ts'
import { readCiphertext, writeCiphertext } from './seal-format.ts'

/**
 * Public-key switching (PCKS): the committee turns a ciphertext under its
 * secret s into one under the buyer's SEAL public key (p0, p1) = (−a·s_b +
 * e, a), without anyone decrypting. Member i of the participant set sends
 *   h0_i = c1·λ_i·s'_i + u_i·p0 + e0_i   (e0_i: smudging noise)
 *   h1_i = u_i·p1 + e1_i                  (u_i ternary, e1_i fresh error)
 * and (c0 + Σ h0_i, Σ h1_i) decrypts under s_b to the same message, plus
 * the smudging noise. A share is an encryption under the buyer's key, so
 * relays and the other members learn nothing from it, and the buyer, who
 * can strip u_i·p0, still sees λ_i·s'_i·c1 only under smudging noise.
 */
export interface PcksInstance {
  readonly id: string
  /** the uncompressed SEAL ciphertext under the committee's key */
  readonly ciphertext: Uint8Array
  /** the buyer's uncompressed SEAL PublicKey (same profile) */
  readonly buyerPublicKey: Uint8Array
  readonly participants: readonly number[]
  readonly smudgingBits: number
}

export interface PcksShare {
  readonly h0: RnsPoly
  readonly h1: RnsPoly
}

function buyerKey(basis: RnsBasis, bytes: Uint8Array): readonly [RnsPoly, RnsPoly] {
  const pk = readCiphertext(basis, bytes, 'buyer public key')
  if (pk.polys.length !== 2 || !pk.isNtt || pk.polys[0]!.limbs.length !== basis.primes.length) {
    throw new ThresholdError(
      'SEAL_BYTES_INVALID',
      'buyer public key',
      'is not a key-level public key in NTT form',
    )
  }
  return [pk.polys[0]!, pk.polys[1]!]
}

export function pcksShare(basis: RnsBasis, key: MemberKey, inst: PcksInstance): PcksShare {
  const ct = freshCiphertext(basis, inst.ciphertext, 'ciphertext')
  const [p0, p1] = buyerKey(basis, inst.buyerPublicKey)
  const limbCount = ct.polys[0]!.limbs.length
  const s = additiveShare(basis, key, inst.participants, limbCount)
  const prg = instancePrg(key, 'pcks', inst, [inst.buyerPublicKey])
  const u = fromSigned(basis, prg.ternary(basis.n), limbCount)
  const h0 = add(
    basis,
    add(basis, mul(basis, ct.polys[1]!, s), mul(basis, u, prefix(p0, limbCount))),
    smudgingPoly(basis, prg, inst.smudgingBits, limbCount),
  )
  const h1 = add(basis, mul(basis, u, prefix(p1, limbCount)), errorPoly(basis, prg, limbCount))
  return { h0, h1 }
}

/** (c0 + Σ h0_i, Σ h1_i) as an uncompressed SEAL Ciphertext under the buyer's key, same level and scale. */
export function pcksCombine(
  basis: RnsBasis,
  ciphertext: Uint8Array,
  shares: readonly PcksShare[],
): Uint8Array {
  const ct = freshCiphertext(basis, ciphertext, 'ciphertext')
  const limbCount = ct.polys[0]!.limbs.length
  shares.forEach((sh, i) => {
    checkPoly(basis, sh.h0, limbCount, `pcks shares[${i}].h0`)
    checkPoly(basis, sh.h1, limbCount, `pcks shares[${i}].h1`)
  })
  if (shares.length === 0) throw new ThresholdError('SHARE_INVALID', 'pcks shares', 'none')
  return writeCiphertext(basis, {
    ...ct,
    polys: [
      sum(basis, [ct.polys[0]!, ...shares.map((sh) => sh.h0)]),
      sum(
        basis,
        shares.map((sh) => sh.h1),
      ),
    ],
  })
}
