import { beforeAll, describe, expect, it } from 'vitest'
import { heContext } from '../he/seal.ts'
import { shareCommitment } from './commitment.ts'
import { bftCommittee } from './committee.ts'
import { type Complaint, type Dealing, DkgSession, deal, verifyComplaint } from './dkg.ts'
import { type MemberSecret, newMemberSecret, secretPoly } from './member.ts'
import { encodePoly } from './poly-codec.ts'
import { Prg } from './prg.ts'
import { type RnsBasis, type RnsPoly, rnsBasis, sum } from './rns.ts'
import { shamirReconstruct, shamirShares } from './shamir.ts'

const committee = bftCommittee(4)
let basis: RnsBasis
let members: MemberSecret[]

beforeAll(async () => {
  basis = rnsBasis(await heContext('ckks-8192'))
  members = [1, 2, 3, 4].map((i) => newMemberSecret(committee, i))
})

const same = (a: RnsPoly, b: RnsPoly) => a.limbs.every((l, j) => l.every((v, k) => v === b.limbs[j]![k]))

/** Runs the sessions with the given dealings (a dealer may be corrupted) and broadcasts every complaint. */
function run(dealings: Dealing[]): { sessions: DkgSession[]; complaints: Complaint[] } {
  const sessions = members.map((m) => new DkgSession(basis, m, 'epoch-7'))
  sessions.forEach((s, i) => {
    s.deal()
    for (const d of dealings) if (d.commitments.dealer !== i + 1) s.onCommitments(d.commitments)
  })
  const complaints: Complaint[] = []
  sessions.forEach((s, i) => {
    for (const d of dealings) {
      if (d.commitments.dealer === i + 1) continue
      const c = s.onShare(d.commitments.dealer, d.shares[i]!)
      if (c) complaints.push(c)
    }
  })
  for (const c of complaints) for (const s of sessions) s.onComplaint(c)
  return { sessions, complaints }
}

function collectiveOf(dealers: number[]): RnsPoly {
  return sum(
    basis,
    dealers.map((d) => secretPoly(basis, members[d - 1]!)),
  )
}

describe('DKG dealing as a pure state machine', () => {
  it('honest members: all qualify, and any t key shares give Σ s_i', () => {
    const { sessions, complaints } = run(members.map((m) => deal(basis, m, 'epoch-7')))
    expect(complaints).toHaveLength(0)
    const finished = sessions.map((s) => s.finish())
    expect(finished.map((f) => f.qualified)).toEqual(Array(4).fill([1, 2, 3, 4]))
    const keys = new Map([1, 3, 4].map((i) => [i, finished[i - 1]!.key.share]))
    expect(same(shamirReconstruct(basis, committee, keys), collectiveOf([1, 2, 3, 4]))).toBe(true)
  })

  it('a dealing recomputed after a restart is byte-identical (commitments and shares)', () => {
    const a = new DkgSession(basis, members[1]!, 'epoch-7').deal()
    const b = new DkgSession(basis, members[1]!, 'epoch-7').deal()
    expect(a.commitments.perRecipient.map((h) => Buffer.from(h).toString('hex'))).toEqual(
      b.commitments.perRecipient.map((h) => Buffer.from(h).toString('hex')),
    )
    expect(Buffer.from(encodePoly(a.shares[2]!)).equals(encodePoly(b.shares[2]!))).toBe(true)
  })

  it('a dealer whose share does not open its commitment is named by a complaint every member accepts, and excluded', () => {
    const dealings = members.map((m) => deal(basis, m, 'epoch-7'))
    // dealer 4 sends member 2 the share meant for member 3
    const bad = dealings[3]!
    dealings[3] = { ...bad, shares: bad.shares.map((s, k) => (k === 1 ? bad.shares[2]! : s)) }
    const { sessions, complaints } = run(dealings)
    expect(complaints).toHaveLength(1)
    expect(complaints[0]).toMatchObject({ kind: 'MISMATCH', dealer: 4, recipient: 2 })
    expect(verifyComplaint(basis, committee, complaints[0]!)).toBe(true)
    const finished = sessions.map((s) => s.finish())
    expect(finished.map((f) => f.qualified)).toEqual(Array(4).fill([1, 2, 3]))
    const keys = new Map([1, 2, 4].map((i) => [i, finished[i - 1]!.key.share]))
    expect(same(shamirReconstruct(basis, committee, keys), collectiveOf([1, 2, 3]))).toBe(true)
  })

  it('a false complaint against an honest dealer does not verify', () => {
    const honest = deal(basis, members[0]!, 'epoch-7')
    // member 3 complains although the share it got from dealer 1 opens dealer 1's commitment to it
    const framed: Complaint = {
      kind: 'MISMATCH',
      dealer: 1,
      recipient: 3,
      commitments: honest.commitments,
      share: honest.shares[2]!,
    }
    expect(verifyComplaint(basis, committee, framed)).toBe(false)
  })

  it('a dealer whose shares open their commitments but lie on no degree t−1 polynomial is caught when t+1 shares are pooled', () => {
    // dealer 4 shares with degree t (a t+1-of-n polynomial): each share opens, but subsets disagree
    const wide = shamirShares(
      basis,
      { n: 4, t: 4 },
      secretPoly(basis, members[3]!),
      new Prg(new Uint8Array(32).fill(4), 'x'),
    )
    const commitments = {
      instanceId: 'epoch-7',
      dealer: 4,
      perRecipient: wide.map((sh, k) => shareCommitment('dkg-deal/4', 'epoch-7', k + 1, [sh])),
    }
    const { complaints } = run([
      ...members.slice(0, 3).map((m) => deal(basis, m, 'epoch-7')),
      { commitments, shares: wide },
    ])
    expect(complaints).toHaveLength(0)
    const pooled = new Map(wide.map((sh, k) => [k + 1, sh]))
    expect(
      verifyComplaint(basis, committee, { kind: 'DEGREE', dealer: 4, commitments, shares: pooled }),
    ).toBe(true)
    // the same check clears an honest dealer, and cannot be fed fake shares
    const honest = deal(basis, members[0]!, 'epoch-7')
    const honestPool = new Map(honest.shares.map((sh, k) => [k + 1, sh]))
    expect(
      verifyComplaint(basis, committee, {
        kind: 'DEGREE',
        dealer: 1,
        commitments: honest.commitments,
        shares: honestPool,
      }),
    ).toBe(false)
    const forged = new Map(honestPool)
    forged.set(4, wide[3]!)
    expect(
      verifyComplaint(basis, committee, {
        kind: 'DEGREE',
        dealer: 1,
        commitments: honest.commitments,
        shares: forged,
      }),
    ).toBe(false)
  })

  it('refuses to finish before every dealer is verified', () => {
    const s = new DkgSession(basis, members[0]!, 'epoch-7')
    s.deal()
    expect(() => s.finish()).toThrow(/no verified share yet from 2, 3, 4/)
  })
})
