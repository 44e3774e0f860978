import { ThresholdError } from './errors.ts'
import { type MemberSecret, secretPoly, sharePrg } from './member.ts'
import { checkPoly, type RnsBasis, type RnsPoly, sum } from './rns.ts'
import { shamirShares } from './shamir.ts'

/**
 * The committee's secret is s = Σ s_i over all n members (n-of-n, used to
 * build the public and evaluation keys while everyone is present). For
 * t-of-n decryption each member also Shamir-shares its s_i; member j sums
 * the n shares it receives into its Shamir share of s.
 */
export interface MemberKey {
  readonly member: MemberSecret
  /** this member's Shamir share of s, NTT form over every key-level prime */
  readonly share: RnsPoly
}

/** Member `member`'s dealing for DKG instance `instanceId`: element k goes to member k+1. */
export function dealKeyShares(basis: RnsBasis, member: MemberSecret, instanceId: string): RnsPoly[] {
  const prg = sharePrg(member, 'dkg-deal', [instanceId])
  return shamirShares(basis, member.committee, secretPoly(basis, member), prg)
}

/** Sums the shares dealt to `member` by all n dealers (`received[k]` from dealer k+1). */
export function memberKey(basis: RnsBasis, member: MemberSecret, received: readonly RnsPoly[]): MemberKey {
  if (received.length !== member.committee.n) {
    throw new ThresholdError(
      'PARTICIPANTS_INVALID',
      'received',
      `${received.length} dealings, expected one from each of ${member.committee.n} members`,
    )
  }
  received.forEach((p, k) => {
    checkPoly(basis, p, basis.primes.length, `received[${k}]`)
  })
  return { member, share: sum(basis, received) }
}
