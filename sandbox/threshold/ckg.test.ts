import { beforeAll, describe, expect, it } from 'vitest'
import { heContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'
import { decryptWith, encryptUnder, maxAbsDiff } from '../testing/threshold-committee.ts'
import { type CrsInstance, ckgCombine, ckgShare, commonPoly, errorPoly } from './ckg.ts'
import { bftCommittee } from './committee.ts'
import { type MemberSecret, newMemberSecret } from './member.ts'
import { Prg } from './prg.ts'
import { fromSigned, mul, type RnsBasis, rnsBasis, sub, sum } from './rns.ts'
import { writePlaintext } from './seal-format.ts'

let basis: RnsBasis
let members: MemberSecret[]
const inst: CrsInstance = { id: 'ckg-test', crs: new Uint8Array(32).fill(3) }

beforeAll(async () => {
  basis = rnsBasis(await heContext('ckks-8192'))
  members = [1, 2, 3, 4].map((i) => newMemberSecret(bftCommittee(4), i))
})

describe('CKG against a rushing member', () => {
  it('attack: the last member to reveal cancels the others and owns the public key alone', async () => {
    const ctx = await heContext('ckks-8192')
    const honest = members.slice(0, 3).map((m) => ckgShare(basis, m, inst))
    // member 4 waits for the three honest shares, then sends −a·x + e − Σ b_j for an x of its own
    const prg = new Prg(new Uint8Array(32).fill(66), 'attacker')
    const x = prg.ternary(basis.n)
    const a = commonPoly(basis, inst, 'ckg')
    const rushing = sub(
      basis,
      sub(basis, errorPoly(basis, prg), mul(basis, a, fromSigned(basis, x))),
      sum(basis, honest),
    )
    const publicKey = ckgCombine(basis, inst, [...honest, rushing])
    const values = Array.from({ length: 4096 }, (_, i) => i % 100)
    const ciphertext = encryptUnder(ctx, publicKey, values)
    const xKey = writePlaintext(basis, {
      parmsId: basis.parmsIds.get(4)!,
      scale: 1,
      poly: fromSigned(basis, x),
    })
    const sk = loadInto(ctx, () => new ctx.seal.SecretKey(), xKey, 'x', 'KEY_INVALID')
    const stolen = decryptWith(ctx, sk, ciphertext)
    sk.delete()
    expect(maxAbsDiff(stolen, values)).toBeLessThan(1e-5)
  })
})
