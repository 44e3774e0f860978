import { beforeAll, describe, expect, it } from 'vitest'
import { type HeContext, heContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'
import { decryptWith, encryptUnder, maxAbsDiff } from '../testing/threshold-committee.ts'
import { type CrsInstance, ckgCombine, ckgCommitment, ckgShare, commonPoly, errorPoly } from './ckg.ts'
import { bftCommittee } from './committee.ts'
import { ThresholdError } from './errors.ts'
import { type MemberSecret, newMemberSecret, secretPoly } from './member.ts'
import { Prg } from './prg.ts'
import { fromSigned, mul, type RnsBasis, type RnsPoly, rnsBasis, sub, sum } from './rns.ts'
import { writePlaintext } from './seal-format.ts'

let ctx: HeContext
let basis: RnsBasis
let members: MemberSecret[]
const inst: CrsInstance = { id: 'ckg-test', crs: new Uint8Array(32).fill(3) }

beforeAll(async () => {
  ctx = await heContext('ckks-8192')
  basis = rnsBasis(ctx)
  members = [1, 2, 3, 4].map((i) => newMemberSecret(bftCommittee(4), i))
})

function decryptWithSecret(secret: RnsPoly, ciphertext: Uint8Array): Float64Array {
  const bytes = writePlaintext(basis, { parmsId: basis.parmsIds.get(4)!, scale: 1, poly: secret })
  const sk = loadInto(ctx, () => new ctx.seal.SecretKey(), bytes, 'secret', 'KEY_INVALID')
  try {
    return decryptWith(ctx, sk, ciphertext)
  } finally {
    sk.delete()
  }
}

describe('CKG: commit, then reveal', () => {
  const values = Array.from({ length: 4096 }, (_, i) => i % 100)

  it('honest members: the key opens under Σ s_i only, never under one member secret', () => {
    const shares = members.map((m) => ckgShare(basis, m, inst))
    const committed = shares.map((b, i) => ({
      member: i + 1,
      commitment: ckgCommitment(i + 1, inst, b),
      polys: [b],
    }))
    const ciphertext = encryptUnder(ctx, ckgCombine(basis, inst, committed), values)
    const s = sum(
      basis,
      members.map((m) => secretPoly(basis, m)),
    )
    expect(maxAbsDiff(decryptWithSecret(s, ciphertext), values)).toBeLessThan(1e-5)
    expect(maxAbsDiff(decryptWithSecret(secretPoly(basis, members[3]!), ciphertext), values)).toBeGreaterThan(
      1e3,
    )
  })

  it('attack refused: a last member who cancels the revealed shares cannot open its own commitment', () => {
    const honest = members.slice(0, 3).map((m) => ckgShare(basis, m, inst))
    // every member commits first; member 4 commits to whatever it has before the reveal
    const early = ckgShare(basis, members[3]!, inst)
    const commitments = [...honest, early].map((b, i) => ckgCommitment(i + 1, inst, b))
    // after seeing the three honest shares it reveals −a·x + e − Σ b_j for an x of its own
    const prg = new Prg(new Uint8Array(32).fill(66), 'attacker')
    const x = fromSigned(basis, prg.ternary(basis.n))
    const a = commonPoly(basis, inst, 'ckg')
    const rushing = sub(basis, sub(basis, errorPoly(basis, prg), mul(basis, a, x)), sum(basis, honest))
    const revealed = [...honest, rushing].map((b, i) => ({
      member: i + 1,
      commitment: commitments[i]!,
      polys: [b],
    }))
    let refusal: unknown
    try {
      ckgCombine(basis, inst, revealed)
    } catch (e) {
      refusal = e
    }
    expect(refusal).toBeInstanceOf(ThresholdError)
    expect(refusal).toMatchObject({ code: 'SHARE_INCONSISTENT', field: 'member 4' })
    // a commitment is bound to its member and instance: member 4 cannot reuse member 1's
    const replayed = revealed.map((r, i) =>
      i === 3 ? { ...r, commitment: commitments[0]!, polys: [honest[0]!] } : r,
    )
    expect(() => ckgCombine(basis, inst, replayed)).toThrow(/member 4/)
  })
})
