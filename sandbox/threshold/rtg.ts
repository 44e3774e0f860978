import { type CrsInstance, errorPoly } from './ckg.ts'
import { automorphism, checkRows, commonRow, keyComponent, kswitchRow, writeGaloisKeys } from './kswitch.ts'
import { type MemberSecret, secretCoeffs, secretPoly, sharePrg } from './member.ts'
import { fromSigned, type RnsBasis, type RnsPoly, sum } from './rns.ts'
import type { SealCiphertext } from './seal-format.ts'

/**
 * RTG, one round per Galois element g: member i sends, for each data prime
 * j, −a_j·s_i + e_ij + w_j·s_i(X^g). Summed over all members it is SEAL's
 * Galois key for g (from s(X^g) to s), since the automorphism is linear.
 */
export function rtgShare(
  basis: RnsBasis,
  member: MemberSecret,
  inst: CrsInstance,
  galoisElt: number,
): RnsPoly[] {
  const a = commonRow(basis, inst, `rtg/${galoisElt}`)
  const rotated = fromSigned(basis, automorphism(secretCoeffs(basis, member), galoisElt))
  const prg = sharePrg(member, 'rtg', [inst.id, inst.crs, String(galoisElt)])
  return kswitchRow(basis, a, secretPoly(basis, member), rotated, () => errorPoly(basis, prg))
}

/** The key components for one element from every member's share. */
export function rtgCombine(
  basis: RnsBasis,
  inst: CrsInstance,
  galoisElt: number,
  shares: readonly (readonly RnsPoly[])[],
): SealCiphertext[] {
  const a = commonRow(basis, inst, `rtg/${galoisElt}`)
  checkRows(basis, shares, a.length, `rtg shares for ${galoisElt}`)
  return a.map((aj, j) =>
    keyComponent(
      basis,
      sum(
        basis,
        shares.map((row) => row[j]!),
      ),
      aj,
    ),
  )
}

/** SEAL GaloisKeys bytes from the combined keys of each element. */
export function galoisKeysBytes(
  basis: RnsBasis,
  keys: ReadonlyMap<number, readonly SealCiphertext[]>,
): Uint8Array {
  return writeGaloisKeys(basis, keys)
}
