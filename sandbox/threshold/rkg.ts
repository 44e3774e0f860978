import { type CrsInstance, errorPoly } from './ckg.ts'
import { checkRows, commonRow, gadget, keyComponent, writeRelinKeys } from './kswitch.ts'
import { type MemberSecret, secretPoly, sharePrg } from './member.ts'
import { encodePoly } from './poly-codec.ts'
import { add, fromSigned, mul, type RnsBasis, type RnsPoly, sub, sum } from './rns.ts'

/**
 * RKG, two rounds (the relinearization key is a key from s² to s, and s²
 * is not linear in the members' s_i). Member i has an ephemeral ternary u_i,
 * derived like all its randomness from its seed and the instance, so round
 * two recomputes it instead of storing it. With a_j common:
 *   round 1: h0_ij = −u_i·a_j + w_j·s_i + e, h1_ij = s_i·a_j + e;
 *            summed: H0_j = −u·a_j + w_j·s + e, H1_j = s·a_j + e
 *   round 2: r_ij = s_i·H0_j + (u_i − s_i)·H1_j + e
 *   key:     (Σ_i r_ij, H1_j), and Σ r_j + H1_j·s = w_j·s² + small.
 */
export interface RkgRound1 {
  readonly h0: readonly RnsPoly[]
  readonly h1: readonly RnsPoly[]
}

function ephemeral(basis: RnsBasis, member: MemberSecret, inst: CrsInstance): RnsPoly {
  return fromSigned(basis, sharePrg(member, 'rkg-u', [inst.id, inst.crs]).ternary(basis.n))
}

export function rkgRound1(basis: RnsBasis, member: MemberSecret, inst: CrsInstance): RkgRound1 {
  const a = commonRow(basis, inst, 'rkg')
  const s = secretPoly(basis, member)
  const u = ephemeral(basis, member, inst)
  const prg = sharePrg(member, 'rkg-1', [inst.id, inst.crs])
  const h0 = a.map((aj, j) =>
    add(basis, sub(basis, errorPoly(basis, prg), mul(basis, u, aj)), gadget(basis, s, j)),
  )
  const h1 = a.map((aj) => add(basis, mul(basis, s, aj), errorPoly(basis, prg)))
  return { h0, h1 }
}

export function rkgAggregate(basis: RnsBasis, shares: readonly RkgRound1[]): RkgRound1 {
  const width = commonWidth(basis)
  checkRows(
    basis,
    shares.map((s) => s.h0),
    width,
    'rkg round 1 h0',
  )
  checkRows(
    basis,
    shares.map((s) => s.h1),
    width,
    'rkg round 1 h1',
  )
  const column = (pick: (s: RkgRound1) => readonly RnsPoly[], j: number) =>
    sum(
      basis,
      shares.map((s) => pick(s)[j]!),
    )
  return {
    h0: Array.from({ length: width }, (_, j) => column((s) => s.h0, j)),
    h1: Array.from({ length: width }, (_, j) => column((s) => s.h1, j)),
  }
}

function commonWidth(basis: RnsBasis): number {
  return basis.primes.length - 1
}

export function rkgRound2(
  basis: RnsBasis,
  member: MemberSecret,
  inst: CrsInstance,
  round1: RkgRound1,
): RnsPoly[] {
  const s = secretPoly(basis, member)
  const uMinusS = sub(basis, ephemeral(basis, member, inst), s)
  const prg = sharePrg(member, 'rkg-2', [
    inst.id,
    inst.crs,
    ...round1.h0.map(encodePoly),
    ...round1.h1.map(encodePoly),
  ])
  return round1.h0.map((h0, j) =>
    add(basis, add(basis, mul(basis, s, h0), mul(basis, uMinusS, round1.h1[j]!)), errorPoly(basis, prg)),
  )
}

/** SEAL RelinKeys bytes from the round-1 aggregate and every member's round-2 share. */
export function rkgCombine(
  basis: RnsBasis,
  round1: RkgRound1,
  round2: readonly (readonly RnsPoly[])[],
): Uint8Array {
  checkRows(basis, round2, round1.h1.length, 'rkg round 2')
  return writeRelinKeys(
    basis,
    round1.h1.map((h1, j) =>
      keyComponent(
        basis,
        sum(
          basis,
          round2.map((row) => row[j]!),
        ),
        h1,
      ),
    ),
  )
}
