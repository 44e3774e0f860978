import { type Committee, checkCommittee, checkParticipants } from './committee.ts'
import { ThresholdError } from './errors.ts'
import type { MemberKey } from './key-share.ts'
import type { MemberSecret } from './member.ts'
import { sharePrg } from './member.ts'
import { checkPoly, type RnsBasis, type RnsPoly, scale, sum } from './rns.ts'
import { lagrangeAtZero, shamirShares } from './shamir.ts'

/**
 * Proactive resharing at an epoch change: the same secret s, new holders.
 * Each old member i of a set S of at least t_old turns its Shamir share into
 * its additive share λ_i·sh_i and Shamir-shares that to the new committee;
 * new member j sums what it receives from every i in S. Since
 * Σ_{i∈S} λ_i·sh_i = s, the sums are a fresh t_new-of-n_new sharing of s:
 * vaults stay decryptable without re-encryption, and old shares are
 * useless with new ones. Fewer than t_new new shares reveal nothing about
 * any λ_i·sh_i (uniform Shamir coefficients), so no smudging is needed.
 * The dealing is deterministic in (old member's seed, instance, S, new
 * committee), like every share here.
 */
export interface ReshareInstance {
  readonly id: string
  /** the old members who reshare, ascending, at least the old t */
  readonly from: readonly number[]
  readonly to: Committee
}

/** Old member `key`'s dealing to the new committee: element k goes to new member k+1. */
export function reshareDeal(basis: RnsBasis, key: MemberKey, inst: ReshareInstance): RnsPoly[] {
  checkCommittee(inst.to)
  const { committee, index } = key.member
  checkParticipants(committee, inst.from)
  const additive = scale(basis, key.share, lagrangeAtZero(basis, committee, inst.from, index))
  const prg = sharePrg(key.member, 'reshare', [inst.id, inst.from.join(','), `${inst.to.n}/${inst.to.t}`])
  return shamirShares(basis, inst.to, additive, prg)
}

/** New member `member`'s share of s from the dealings of every old member in `inst.from` (in that order). */
export function reshareReceive(
  basis: RnsBasis,
  member: MemberSecret,
  inst: ReshareInstance,
  received: readonly RnsPoly[],
): MemberKey {
  if (member.committee.n !== inst.to.n || member.committee.t !== inst.to.t) {
    throw new ThresholdError('PARAMS_INVALID', 'member.committee', 'is not the committee being reshared to')
  }
  if (received.length !== inst.from.length) {
    throw new ThresholdError(
      'PARTICIPANTS_INVALID',
      'received',
      `${received.length} dealings, expected one from each of ${inst.from.length} old members`,
    )
  }
  received.forEach((p, k) => {
    checkPoly(basis, p, basis.primes.length, `received[${k}]`)
  })
  return { member, share: sum(basis, received) }
}
