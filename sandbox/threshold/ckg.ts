import { type CommittedShare, openCommitments, shareCommitment } from './commitment.ts'
import { ThresholdError } from './errors.ts'
import { type MemberSecret, secretPoly, sharePrg } from './member.ts'
import { Prg } from './prg.ts'
import { checkPoly, fromSigned, mul, type RnsBasis, type RnsPoly, sub, sum } from './rns.ts'
import { writeCiphertext } from './seal-format.ts'

/**
 * One protocol instance with a common random polynomial: `id` names it (the
 * node layer makes it unique per epoch and key), `crs` is the 32-byte public
 * seed every member expands to the same uniform `a` (e.g. a hash of a
 * finalised block, so no member chooses it).
 */
export interface CrsInstance {
  readonly id: string
  readonly crs: Uint8Array
}

/** A uniform key-level polynomial (NTT form; uniform there is uniform anywhere) from a public seed. */
export function commonPoly(basis: RnsBasis, inst: CrsInstance, label: string): RnsPoly {
  if (inst.crs.length !== 32) {
    throw new ThresholdError('PARAMS_INVALID', 'crs', `is ${inst.crs.length} bytes, expected 32`)
  }
  const prg = new Prg(inst.crs, `crs/${inst.id}/${label}`)
  return { limbs: basis.primes.map((q) => prg.uniformMod(q, basis.n)) }
}

/** A fresh-error polynomial (SEAL's σ = 3.19) in NTT form over the first `limbCount` primes. */
export function errorPoly(basis: RnsBasis, prg: Prg, limbCount = basis.primes.length): RnsPoly {
  return fromSigned(basis, prg.gaussian(basis.n), limbCount)
}

/** CKG, the one round: b_i = −a·s_i + e_i. */
export function ckgShare(basis: RnsBasis, member: MemberSecret, inst: CrsInstance): RnsPoly {
  const a = commonPoly(basis, inst, 'ckg')
  const prg = sharePrg(member, 'ckg', [inst.id, inst.crs])
  return sub(basis, errorPoly(basis, prg), mul(basis, a, secretPoly(basis, member)))
}

/** What member i broadcasts before any CKG share is revealed (see commitment.ts). */
export function ckgCommitment(member: number, inst: CrsInstance, share: RnsPoly): Uint8Array {
  return shareCommitment('ckg', inst.id, member, [share])
}

/**
 * The collective public key (Σ b_i, a) = (−a·s + e, a) as SEAL PublicKey
 * bytes (uncompressed): SEAL's Encryptor takes it like any public key. Each
 * share must open the commitment its member sent before the reveal.
 */
export function ckgCombine(
  basis: RnsBasis,
  inst: CrsInstance,
  committed: readonly CommittedShare[],
): Uint8Array {
  committed.forEach((c) => {
    if (c.polys.length !== 1)
      throw new ThresholdError('SHARE_INVALID', `member ${c.member}`, 'a CKG share is one polynomial')
    checkPoly(basis, c.polys[0]!, basis.primes.length, `ckg share of member ${c.member}`)
  })
  openCommitments('ckg', inst.id, committed)
  const shares = committed.map((c) => c.polys[0]!)
  const a = commonPoly(basis, inst, 'ckg')
  return writeCiphertext(basis, {
    parmsId: basis.parmsIds.get(basis.primes.length)!,
    isNtt: true,
    scale: 1,
    correctionFactor: 1n,
    polys: [sum(basis, shares), a],
  })
}
