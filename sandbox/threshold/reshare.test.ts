import { beforeAll, describe, expect, it } from 'vitest'
import { heContext } from '../he/seal.ts'
import { decryptWith, maxAbsDiff, type TestCommittee, testCommittee } from '../testing/threshold-committee.ts'
import { bftCommittee } from './committee.ts'
import { combineDecryption, decodePlaintext, decryptionShare, smudgingErrorBound } from './decrypt.ts'
import { newMemberSecret } from './member.ts'
import { type ReshareInstance, reshareDeal, reshareReceive } from './reshare.ts'

let tc: TestCommittee

beforeAll(async () => {
  tc = testCommittee(await heContext('ckks-8192'), 4, 'reshare')
})

describe('proactive resharing, 4 members (t = 3) to 7 (t = 5)', () => {
  it("an old vault's ciphertext opens with the new committee's shares, and not with a mix of old and new", () => {
    const { basis, ctx } = tc
    const values = Array.from({ length: 4096 }, (_, i) => Math.cos(i) * 50)
    const ciphertext = tc.encrypt(values)
    const sk = tc.collectiveSecretKey()
    const oracle = decryptWith(ctx, sk, ciphertext)
    sk.delete()

    const to = bftCommittee(7)
    const inst: ReshareInstance = { id: 'epoch-8', from: [1, 3, 4], to }
    const dealings = inst.from.map((i) => reshareDeal(basis, tc.keys[i - 1]!, inst))
    const fresh = Array.from({ length: 7 }, (_, j) => newMemberSecret(to, j + 1))
    const newKeys = fresh.map((m, j) =>
      reshareReceive(
        basis,
        m,
        inst,
        dealings.map((d) => d[j]!),
      ),
    )

    const open = (keys: typeof newKeys, participants: number[]) => {
      const dec = { id: `open/${participants.join('')}`, ciphertext, participants, smudgingBits: 20 }
      const shares = participants.map((p) => decryptionShare(basis, keys[p - 1]!, dec))
      return decodePlaintext(ctx, combineDecryption(basis, ciphertext, shares))
    }
    const bound = smudgingErrorBound(basis.n, 5, 20, ctx.scale)
    expect(maxAbsDiff(open(newKeys, [2, 4, 5, 6, 7]), oracle)).toBeLessThan(bound)
    expect(maxAbsDiff(open(newKeys, [1, 2, 3, 4, 5]), oracle)).toBeLessThan(bound)
    // an old member's share is worthless in the new sharing
    const mixed = newKeys.map((k, j) => (j === 0 ? { ...k, share: tc.keys[0]!.share } : k))
    expect(maxAbsDiff(open(mixed, [1, 2, 3, 4, 5]), oracle)).toBeGreaterThan(1e6)
  })

  it('refuses a resharing from fewer than the old t, and dealings of the wrong count', () => {
    const inst: ReshareInstance = { id: 'epoch-9', from: [1, 2], to: bftCommittee(7) }
    expect(() => reshareDeal(tc.basis, tc.keys[0]!, inst)).toThrow(/2 members cannot combine/)
    const m = newMemberSecret(bftCommittee(7), 1)
    expect(() => reshareReceive(tc.basis, m, { ...inst, from: [1, 2, 3] }, [])).toThrow(
      /0 dealings, expected/,
    )
  })
})
