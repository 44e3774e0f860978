import { beforeAll, describe, expect, it } from 'vitest'
import { heContext } from '../he/seal.ts'
import { type TestCommittee, testCommittee } from '../testing/threshold-committee.ts'
import { decryptionShare } from './decrypt.ts'
import { ThresholdError } from './errors.ts'
import { secretPoly } from './member.ts'
import { sum, toCoeffs } from './rns.ts'
import { writeCiphertext } from './seal-format.ts'

let tc: TestCommittee

beforeAll(async () => {
  tc = testCommittee(await heContext('ckks-8192'), 4, 'floor')
})

/**
 * A coordinator who may choose a decryption instance's smudging width
 * crafts a "ciphertext" (0, 1) at the last level: each member's share is
 * then λ_i·sh_i + E_i, and averaging many instances (independent noise per
 * instance id, by design) strips E_i. With t members' λ_i·sh_i it holds
 * s = Σ λ_i·sh_i. Members must refuse widths that make averaging cheap.
 */
describe('smudging width chosen by the coordinator', () => {
  it('attack: 1-bit smudging and 160 probes per member would give the key away', () => {
    const { basis } = tc
    const q = basis.primes[0]!
    const centred = (v: bigint) => (v > q / 2n ? v - q : v)
    const crafted = writeCiphertext(basis, {
      parmsId: basis.parmsIds.get(1)!,
      isNtt: true,
      scale: 2 ** 40,
      correctionFactor: 1n,
      polys: [{ limbs: [new BigUint64Array(basis.n)] }, { limbs: [new BigUint64Array(basis.n).fill(1n)] }],
    })
    const participants = [1, 2, 3]
    const rounds = 160
    const recovered = new BigUint64Array(basis.n)
    const refusals: string[] = []
    for (const p of participants) {
      const probe = (r: number) =>
        toCoeffs(
          basis,
          decryptionShare(basis, tc.keys[p - 1]!, {
            id: `probe/${r}`,
            ciphertext: crafted,
            participants,
            smudgingBits: 1,
          }),
        )[0]!
      let first: BigUint64Array
      try {
        first = probe(0)
      } catch (e) {
        if (!(e instanceof ThresholdError)) throw e
        refusals.push(`${e.code} ${e.field}`)
        continue
      }
      // mean over r of (share_r − share_0) tends to −E_0
      const drift = new Float64Array(basis.n)
      for (let r = 1; r < rounds; r++) {
        const c = probe(r)
        for (let k = 0; k < basis.n; k++)
          drift[k]! += Number(centred((c[k]! + q - first[k]!) % q)) / (rounds - 1)
      }
      for (let k = 0; k < basis.n; k++) {
        const e0 = BigInt(-Math.round(drift[k]!))
        recovered[k] = (recovered[k]! + first[k]! - (((e0 % q) + q) % q) + q) % q
      }
    }
    const s = toCoeffs(
      basis,
      sum(
        basis,
        tc.members.map((m) => secretPoly(basis, m)),
      ),
    )[0]!
    const hits = recovered.filter((v, k) => refusals.length === 0 && v === s[k]).length
    // secure: essentially none of the key's 8192 coefficients recovered, and every member refused
    expect(hits / basis.n).toBeLessThan(0.01)
    expect(refusals).toEqual(Array(3).fill('PARAMS_INVALID smudgingBits'))
  })
})
