import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { heContext } from '../sandbox/he/seal.ts'
import { ckgShare, commonPoly, errorPoly } from '../sandbox/threshold/ckg.ts'
import { bftCommittee } from '../sandbox/threshold/committee.ts'
import { type MemberSecret, secretPoly } from '../sandbox/threshold/member.ts'
import { invMod } from '../sandbox/threshold/ntt.ts'
import { encodePoly } from '../sandbox/threshold/poly-codec.ts'
import { Prg } from '../sandbox/threshold/prg.ts'
import { fromSigned, mul, prefix, type RnsPoly, rnsBasis, sub, toCoeffs } from '../sandbox/threshold/rns.ts'

/**
 * Why the DKG node re-sends stored bytes and never recomputes (Lattigo's SECURITY.md warning, in
 * our setting). A CKG share is b = −a·s_i + e. A node that, on each retry, recomputed it with fresh
 * error e_k would publish b_k − b_1 = e_k − e_1 for every k: anyone averaging K retries learns e_1
 * (the mean of the e_k tends to 0), hence a·s_i = e_1 − b_1, hence the member's secret s_i. A
 * validator retrying every few seconds reaches K = 1000 within an hour.
 *
 * The attack runs on one RNS prime (the recovered secret there is the whole ternary s_i).
 */
const RETRIES = 1000

describe('attack: a DKG share re-sent with fresh randomness', () => {
  it('gives the member secret away after ~1000 re-sends; the deterministic share re-sends one value', async () => {
    const ctx = await heContext('ckks-8192')
    const basis = rnsBasis(ctx)
    const member: MemberSecret = {
      committee: bftCommittee(4),
      index: 1,
      seed: new Uint8Array(randomBytes(32)),
    }
    const inst = { id: 'attack/ckg', crs: new Uint8Array(32).fill(7) }
    const q = basis.primes[0]!
    const a = prefix(commonPoly(basis, inst, 'ckg'), 1)
    const s = prefix(secretPoly(basis, member), 1)

    // The node's path: the share is a pure function of (seed, instance), so every re-send is one sample.
    const first = encodePoly(ckgShare(basis, member, inst))
    expect(Buffer.from(encodePoly(ckgShare(basis, member, inst))).equals(first)).toBe(true)

    // The naive retry: same s_i, same a, a fresh error each time it is sent.
    const aS = mul(basis, a, s)
    const naive = (): RnsPoly => sub(basis, errorPoly(basis, new Prg(randomBytes(32), 'retry'), 1), aS)
    const b1 = naive()
    let sumDiff = new BigUint64Array(basis.n)
    for (let k = 1; k < RETRIES; k++) {
      const d = sub(basis, naive(), b1).limbs[0]!
      sumDiff = sumDiff.map((v, i) => (v + d[i]!) % q)
    }
    // Σ (e_k − e_1) = Σ e_k − (K−1)·e_1, in coefficients: e_1 is minus its rounded mean
    const [coeffs] = toCoeffs(basis, { limbs: [sumDiff] })
    const e1 = Array.from(coeffs!, (v) => {
      const centred = v > q / 2n ? Number(v - q) : Number(v)
      return Math.round(-centred / (RETRIES - 1))
    })
    const E1 = fromSigned(basis, e1, 1)
    // a·s = e_1 − b_1, so s = (e_1 − b_1) / a slot by slot
    const aTimesS = sub(basis, E1, b1).limbs[0]!
    const recovered = aTimesS.map((v, i) => (v * invMod(a.limbs[0]![i]!, q)) % q)
    const exact = recovered.filter((v, i) => v === s.limbs[0]![i]).length
    console.log(`fresh-randomness re-sends: ${RETRIES} retries recover ${exact} of ${basis.n} secret slots`)
    expect(exact).toBe(basis.n)
  }, 300_000)
})
