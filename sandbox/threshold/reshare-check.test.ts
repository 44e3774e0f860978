import { beforeAll, describe, expect, it } from 'vitest'
import { heContext } from '../he/seal.ts'
import { type TestCommittee, testCommittee } from '../testing/threshold-committee.ts'
import { bftCommittee } from './committee.ts'
import { DEFAULT_SMUDGING_BITS } from './decrypt.ts'
import { type MemberSecret, newMemberSecret } from './member.ts'
import { type ReshareInstance, reshareDeal } from './reshare.ts'
import {
  candidateShare,
  RESHARE_CHECK_BOUND,
  type ReshareChallenge,
  reshareChallenge,
  reshareCheckOpen,
  reshareCheckShares,
} from './reshare-check.ts'
import { mul, type RnsPoly, toCoeffs } from './rns.ts'
import { lagrangeAtZero } from './shamir.ts'

let tc: TestCommittee
const to = bftCommittee(4)
const S = [1, 2, 3, 4]
let fresh: MemberSecret[]
let challenge: ReshareChallenge

/** Old member 3 deals a consistent sharing of λ_3·sh_3 + δ (δ = 1 in one NTT slot) when `wrong`. */
function dealings(wrong: boolean): Map<number, RnsPoly>[] {
  const inst: ReshareInstance = { id: 'epoch-2', from: S, to }
  const byNew = fresh.map(() => new Map<number, RnsPoly>())
  for (const i of S) {
    const key = tc.keys[i - 1]!
    const limbs = key.share.limbs.map((l) => l.slice())
    if (wrong && i === 3) limbs[0]![0] = (limbs[0]![0]! + 1n) % tc.basis.primes[0]!
    reshareDeal(tc.basis, { ...key, share: { limbs } }, inst).forEach((g, j) => {
      byNew[j]!.set(i, g)
    })
  }
  return byNew
}

const sets = (j: number) =>
  [
    [1, 2, 3],
    [1, 2, 4],
    [1, 3, 4],
    [2, 3, 4],
  ].filter((s) => s.includes(j))

/** Whether every set of 3 new members opens the challenge to a small value with candidate T. */
function opens(
  received: Map<number, RnsPoly>[],
  T: number[],
  shift: (j: number, opening: bigint[]) => bigint[] = (_, o) => o,
) {
  const byMember = fresh.map((m, k) => {
    const j = k + 1
    const share = candidateShare(tc.basis, tc.committee, S, T, received[k]!)
    return reshareCheckShares(tc.basis, m, share, challenge, sets(j), T.join(','), DEFAULT_SMUDGING_BITS).map(
      (o) => shift(j, o),
    )
  })
  return [
    [1, 2, 3],
    [1, 2, 4],
    [1, 3, 4],
    [2, 3, 4],
  ].map((U) => {
    const value = reshareCheckOpen(
      tc.basis,
      challenge,
      U.map((j) => byMember[j - 1]![sets(j).findIndex((s) => s.join() === U.join())]!),
    )
    return (value < 0n ? -value : value) < RESHARE_CHECK_BOUND
  })
}

beforeAll(async () => {
  tc = testCommittee(await heContext('ckks-8192'), 4, 'reshare-check')
  fresh = Array.from({ length: 4 }, (_, j) => newMemberSecret(to, j + 1))
  challenge = reshareChallenge(tc.basis, tc.publicKey, new Uint8Array(32).fill(7))
})

describe('the known-answer check of a reshare (4 old members to 4 new, t = 3)', () => {
  it('an honest reshare opens the challenge for S and for every S minus one dealer, in every set of t', () => {
    const received = dealings(false)
    for (const T of [S, [1, 2, 3], [1, 2, 4], [1, 3, 4], [2, 3, 4]])
      expect(opens(received, T), `T = ${T}`).toEqual([true, true, true, true])
  })

  it('attack: a dealer dealing a consistent sharing of a wrong value fails S, and only S without it passes', () => {
    const received = dealings(true)
    expect(opens(received, S)).toEqual([false, false, false, false])
    expect(opens(received, [1, 2, 4])).toEqual([true, true, true, true])
    for (const T of [
      [1, 2, 3],
      [1, 3, 4],
      [2, 3, 4],
    ])
      expect(opens(received, T), `T = ${T}`).toEqual([false, false, false, false])
  })

  it('attack: the wrong dealer, also new member 3, cancels c1·δ in its own openings; the one set without it still fails', () => {
    const received = dealings(true)
    // member 3 chose δ (1 in slot 0 of the first prime's limb), so it can compute (c1·δ)[0] and subtract it
    const delta = { limbs: tc.basis.primes.map(() => new BigUint64Array(tc.basis.n)) }
    delta.limbs[0]![0] = 1n
    // its dealt polynomial is at λ_3·(sh_3 + δ) at 0
    const lambda = lagrangeAtZero(tc.basis, tc.committee, S, 3)
    const c1delta = toCoeffs(tc.basis, mul(tc.basis, challenge.c1, delta)).map(
      (l, k) => (l[0]! * lambda[k]!) % tc.basis.primes[k]!,
    )
    const shift = (j: number, opening: bigint[]) =>
      j !== 3 ? opening : opening.map((v, l) => (v - c1delta[l]! + tc.basis.primes[l]!) % tc.basis.primes[l]!)
    // sets with member 3 now open; {1, 2, 4}, three members holding shares of s + δ, does not
    expect(opens(received, S, shift)).toEqual([true, false, true, true])
  })
})
