import { beforeAll, describe, expect, it } from 'vitest'
import { heContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'
import { decryptWith, maxAbsDiff, type TestCommittee, testCommittee } from '../testing/threshold-committee.ts'
import { automorphism, gadget, galoisElement } from './kswitch.ts'
import { secretCoeffs } from './member.ts'
import { rkgAggregate, rkgCombine, rkgRound1, rkgRound2 } from './rkg.ts'
import { add, fromSigned, mul, type RnsBasis, type RnsPoly, sub, toCoeffs } from './rns.ts'
import { galoisKeysBytes, rtgCombine, rtgShare } from './rtg.ts'
import { readKSwitchKeys, type SealCiphertext, writePlaintext } from './seal-format.ts'

let tc: TestCommittee
let basis: RnsBasis
let s: RnsPoly
let sCoeffs: Int32Array

beforeAll(async () => {
  tc = testCommittee(await heContext('ckks-8192'), 4, 'kswitch')
  basis = tc.basis
  sCoeffs = new Int32Array(basis.n)
  for (const m of tc.members) {
    const c = secretCoeffs(basis, m)
    for (let k = 0; k < basis.n; k++) sCoeffs[k]! += c[k]!
  }
  s = fromSigned(basis, sCoeffs)
})

/** The largest |k0 + k1·s − w_j·target| over every component and limb, centred: the key's noise. */
function keyNoise(row: readonly SealCiphertext[], secret: RnsPoly, target: RnsPoly): number {
  let worst = 0
  row.forEach((c, j) => {
    const [k0, k1] = c.polys as [RnsPoly, RnsPoly]
    const residue = sub(basis, add(basis, k0, mul(basis, k1, secret)), gadget(basis, target, j))
    toCoeffs(basis, residue).forEach((limb, l) => {
      const q = basis.primes[l]!
      for (const v of limb) worst = Math.max(worst, Number(v > q / 2n ? q - v : v))
    })
  })
  return worst
}

describe("SEAL's key-switching layout, checked against SEAL's own keys", () => {
  it('a SEAL relin key and Galois key from a known secret carry w_j·s² and w_j·s(X^g) in limb j only', () => {
    const { ctx } = tc
    const skBytes = writePlaintext(basis, { parmsId: basis.parmsIds.get(4)!, scale: 1, poly: s })
    const sk = loadInto(ctx, () => new ctx.seal.SecretKey(), skBytes, 'sk', 'KEY_INVALID')
    const keygen = new ctx.seal.KeyGenerator(ctx.context, sk)
    const rk = keygen.createRelinKeys()
    const gk = keygen.createGaloisKeysWithSteps(Int32Array.from([1]))
    const none = ctx.seal.ComprModeType.none
    const relin = readKSwitchKeys(basis, rk.saveToArray(none) as Uint8Array)
    const galois = readKSwitchKeys(basis, gk.saveToArray(none) as Uint8Array)
    for (const o of [rk, gk, keygen, sk]) o.delete()
    const g = galoisElement(basis.n, 1)
    expect(g).toBe(3)
    // SEAL's fresh key noise is a σ = 3.19 Gaussian cut at 6σ: below 20
    expect(keyNoise(relin.keys[0]!, s, mul(basis, s, s))).toBeLessThan(20)
    const rotated = fromSigned(basis, automorphism(sCoeffs, g))
    expect(keyNoise(galois.keys[(g - 1) / 2]!, s, rotated)).toBeLessThan(20)
    // and the check has teeth: the wrong target leaves a residue of the order of the primes
    expect(keyNoise(galois.keys[(g - 1) / 2]!, s, s)).toBeGreaterThan(2 ** 30)
  })
})

describe('RKG and RTG among 4 members', () => {
  let relinBytes: Uint8Array
  let galoisBytes: Uint8Array
  const steps = [1, 2]

  beforeAll(() => {
    const inst = { id: 'kswitch/evk', crs: new Uint8Array(32).fill(9) }
    const round1 = rkgAggregate(
      basis,
      tc.members.map((m) => rkgRound1(basis, m, inst)),
    )
    relinBytes = rkgCombine(
      basis,
      round1,
      tc.members.map((m) => rkgRound2(basis, m, inst, round1)),
    )
    const keys = new Map<number, SealCiphertext[]>()
    for (const step of steps) {
      const g = galoisElement(basis.n, step)
      keys.set(
        g,
        rtgCombine(
          basis,
          inst,
          g,
          tc.members.map((m) => rtgShare(basis, m, inst, g)),
        ),
      )
    }
    galoisBytes = galoisKeysBytes(basis, keys)
  })

  it('produce keys whose noise is small: Σ over members of fresh errors, plus s·e and u·e for RKG', () => {
    const relin = readKSwitchKeys(basis, relinBytes)
    const rkgNoise = keyNoise(relin.keys[0]!, s, mul(basis, s, s))
    const g = galoisElement(basis.n, 1)
    const rtgNoise = keyNoise(
      readKSwitchKeys(basis, galoisBytes).keys[(g - 1) / 2]!,
      s,
      fromSigned(basis, automorphism(sCoeffs, g)),
    )
    expect(rtgNoise).toBeLessThan(4 * 20)
    // s·e0 + u·e1 with s, u sums of 4 ternaries: a few thousand at most, against 60-bit primes
    expect(rkgNoise).toBeLessThan(2 ** 16)
    expect(rkgNoise).toBeGreaterThan(0)
  })

  it("SEAL's Evaluator uses them: multiply + relinearize + rescale, and rotations by 1 and 2", () => {
    const { ctx } = tc
    const { seal, evaluator } = ctx
    const rk = loadInto(ctx, () => new seal.RelinKeys(), relinBytes, 'relin', 'KEY_INVALID')
    const gk = loadInto(ctx, () => new seal.GaloisKeys(), galoisBytes, 'galois', 'KEY_INVALID')
    const values = Array.from({ length: 4096 }, (_, i) => Math.cos(i / 7) * 3)
    const ct = loadInto(ctx, () => new seal.Ciphertext(), tc.encrypt(values), 'ct', 'CIPHERTEXT_INVALID')
    const sk = tc.collectiveSecretKey()
    try {
      const sq = new seal.Ciphertext()
      evaluator.multiply(ct, ct, sq)
      evaluator.relinearizeInplace(sq, rk)
      evaluator.rescaleToNextInplace(sq)
      expect(sq.size()).toBe(2)
      expect(
        maxAbsDiff(
          decryptWith(ctx, sk, sq),
          values.map((v) => v * v),
        ),
      ).toBeLessThan(1e-4)
      sq.delete()
      for (const step of steps) {
        const rot = new seal.Ciphertext()
        evaluator.rotateVector(ct, step, gk, rot)
        const expected = values.map((_, i) => values[(i + step) % values.length]!)
        expect(maxAbsDiff(decryptWith(ctx, sk, rot), expected), `step ${step}`).toBeLessThan(1e-4)
        rot.delete()
      }
    } finally {
      for (const o of [rk, gk, ct, sk]) o.delete()
    }
  })
})
