import { beforeAll, describe, expect, it } from 'vitest'
import { heContext } from '../he/seal.ts'
import { bftCommittee } from './committee.ts'
import { ThresholdError } from './errors.ts'
import { dealKeyShares, memberKey } from './key-share.ts'
import { newMemberSecret, secretPoly } from './member.ts'
import { decodePoly, encodePoly } from './poly-codec.ts'
import { Prg } from './prg.ts'
import { type RnsBasis, type RnsPoly, rnsBasis, sum } from './rns.ts'
import { lagrangeAtZero, shamirReconstruct, shamirShares } from './shamir.ts'

let basis: RnsBasis

beforeAll(async () => {
  basis = rnsBasis(await heContext('ckks-8192'))
})

const same = (a: RnsPoly, b: RnsPoly) => a.limbs.every((l, j) => l.every((v, k) => v === b.limbs[j]![k]))

describe('Shamir t-of-n over every RNS prime', () => {
  it('t = 2f+1 of n = 3f+1', () => {
    expect([1, 4, 7, 10, 13].map((n) => bftCommittee(n).t)).toEqual([1, 3, 5, 7, 9])
  })

  it('any t shares give back the secret; t − 1 shares interpolate something else', () => {
    const committee = bftCommittee(7)
    const secret = secretPoly(basis, newMemberSecret(committee, 1))
    const shares = shamirShares(basis, committee, secret, new Prg(new Uint8Array(32), 'test'))
    const pick = (idx: number[]) => new Map(idx.map((i) => [i, shares[i - 1]!]))
    for (const set of [
      [1, 2, 3, 4, 5],
      [3, 4, 5, 6, 7],
      [1, 3, 5, 6, 7],
      [1, 2, 3, 4, 5, 6, 7],
    ]) {
      expect(same(shamirReconstruct(basis, committee, pick(set)), secret)).toBe(true)
    }
    // t − 1 points: interpolate with the lower-degree committee's coefficients, as a coalition would
    const coalition = { n: 7, t: 4 }
    expect(same(shamirReconstruct(basis, coalition, pick([1, 2, 3, 4])), secret)).toBe(false)
  })

  it('Lagrange coefficients at 0 sum to 1 mod every prime', () => {
    const committee = bftCommittee(4)
    const set = [1, 3, 4]
    const lambdas = set.map((i) => lagrangeAtZero(basis, committee, set, i))
    basis.primes.forEach((q, j) => {
      expect(lambdas.reduce((a, l) => a + l[j]!, 0n) % q).toBe(1n)
    })
  })

  it('a DKG: each member sums its n dealt shares into a share of s = Σ s_i', () => {
    const committee = bftCommittee(4)
    const members = [1, 2, 3, 4].map((i) => newMemberSecret(committee, i))
    const dealings = members.map((m) => dealKeyShares(basis, m, 'epoch-1'))
    const keys = members.map((m, j) =>
      memberKey(
        basis,
        m,
        dealings.map((d) => d[j]!),
      ),
    )
    const s = sum(
      basis,
      members.map((m) => secretPoly(basis, m)),
    )
    const recovered = shamirReconstruct(
      basis,
      committee,
      new Map([2, 3, 4].map((i) => [i, keys[i - 1]!.share])),
    )
    expect(same(recovered, s)).toBe(true)
    // a dealing is a pure function of (member seed, instance): re-dealing gives the same bytes
    const again = dealKeyShares(basis, members[0]!, 'epoch-1')
    expect(Buffer.from(encodePoly(again[2]!)).equals(encodePoly(dealings[0]![2]!))).toBe(true)
    expect(() => memberKey(basis, members[0]!, dealings[0]!.slice(0, 3))).toThrow(/3 dealings, expected/)
  })

  it('share polynomials round-trip through their wire form; malformed ones get typed errors', () => {
    const p = secretPoly(basis, newMemberSecret(bftCommittee(4), 2))
    const bytes = encodePoly(p)
    expect(same(decodePoly(basis, bytes, 4, 'share'), p)).toBe(true)
    const refuse = (b: Uint8Array, limbs = 4) => {
      try {
        decodePoly(basis, b, limbs, 'share')
      } catch (e) {
        if (e instanceof ThresholdError) return `${e.code}: ${e.message}`
        throw e
      }
      return 'accepted'
    }
    expect(refuse(bytes.subarray(0, 100))).toMatch(/SHARE_INVALID: share: is 100 bytes/)
    expect(refuse(bytes, 3)).toMatch(/has 4 RNS limbs, expected 3/)
    expect(refuse(new Uint8Array(10))).toMatch(/not a TCFP/)
    const big = bytes.slice()
    big.fill(0xff, 10, 18)
    expect(refuse(big)).toMatch(/share.limbs\[0\]\[0\]: is not below its prime/)
  })
})
