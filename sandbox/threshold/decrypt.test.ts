import { beforeAll, describe, expect, it } from 'vitest'
import { heContext } from '../he/seal.ts'
import { decryptWith, maxAbsDiff, type TestCommittee, testCommittee } from '../testing/threshold-committee.ts'
import {
  additiveShare,
  combineDecryption,
  DEFAULT_SMUDGING_BITS,
  decodePlaintext,
  decryptionShare,
  smudgingErrorBound,
} from './decrypt.ts'
import { ThresholdError } from './errors.ts'
import { invMod } from './ntt.ts'
import { encodePoly } from './poly-codec.ts'
import { add, mul, prefix, scale, sub } from './rns.ts'
import { readCiphertext, writePlaintext } from './seal-format.ts'
import { combineStat, statShare } from './stat-decrypt.ts'

let tc: TestCommittee
let values: number[]
let ciphertext: Uint8Array
let singleKey: Float64Array

beforeAll(async () => {
  const ctx = await heContext('ckks-8192')
  tc = testCommittee(ctx, 4, 'decrypt')
  values = Array.from({ length: ctx.profile.slotCount }, (_, i) => Math.sin(i) * 100)
  ciphertext = tc.encrypt(values)
  const sk = tc.collectiveSecretKey()
  singleKey = decryptWith(ctx, sk, ciphertext)
  sk.delete()
})

function subsets(n: number, size: number): number[][] {
  if (size === 0) return [[]]
  const out: number[][] = []
  for (let first = 1; first <= n; first++) {
    for (const rest of subsets(n, size - 1)) if (rest.every((r) => r > first)) out.push([first, ...rest])
  }
  return out
}

function thresholdDecrypt(
  participants: number[],
  bits = DEFAULT_SMUDGING_BITS,
  ct = ciphertext,
): Float64Array {
  const inst = { id: `job-1/${participants.join('')}`, ciphertext: ct, participants, smudgingBits: bits }
  const shares = participants.map((i) => decryptionShare(tc.basis, tc.keys[i - 1]!, inst))
  return decodePlaintext(tc.ctx, combineDecryption(tc.basis, ct, shares))
}

describe('threshold decryption, n = 4, t = 3', () => {
  it('the CKG public key works with SEAL: single-key decryption under Σ s_i recovers the values', () => {
    expect(tc.committee).toEqual({ n: 4, t: 3 })
    expect(maxAbsDiff(singleKey, values)).toBeLessThan(1e-5)
  })

  it('every set of t members opens the ciphertext, within the stated smudging bound of single-key SEAL', () => {
    const bound = smudgingErrorBound(tc.basis.n, 3, DEFAULT_SMUDGING_BITS, tc.ctx.scale)
    const sets = [...subsets(4, 3), [1, 2, 3, 4]]
    expect(sets).toHaveLength(5)
    for (const set of sets) {
      const opened = thresholdDecrypt(set)
      const err = maxAbsDiff(opened, singleKey)
      expect(err, `set ${set}`).toBeLessThan(bound)
      expect(err, `set ${set}`).toBeGreaterThan(0)
    }
  })

  it('with less smudging (20 bits) the error shrinks by 2^10 and still sits inside its bound', () => {
    const opened = thresholdDecrypt([1, 3, 4], 20)
    const err = maxAbsDiff(opened, singleKey)
    expect(err).toBeLessThan(smudgingErrorBound(tc.basis.n, 3, 20, tc.ctx.scale))
    expect(maxAbsDiff(opened, values)).toBeLessThan(1e-3)
  })

  it('a stat opened as one coefficient over all three primes (CRT) equals the slot mean', () => {
    const constant = tc.encrypt(Array.from({ length: 4096 }, () => 1234.5678))
    const inst = { id: 'job-7', ciphertext: constant, participants: [2, 3, 4], smudgingBits: 20 }
    const shares = inst.participants.map((i) => statShare(tc.basis, tc.keys[i - 1]!, inst))
    expect(shares[0]).toHaveLength(3)
    const bound = (7.5 * 2 ** 20) / tc.ctx.scale
    expect(Math.abs(combineStat(tc.basis, constant, shares) - 1234.5678)).toBeLessThan(bound + 1e-6)
    // t − 1 of them: noise of the order of the modulus
    expect(Math.abs(combineStat(tc.basis, constant, shares.slice(0, 2)))).toBeGreaterThan(1e6)
  })

  it('t − 1 members learn nothing usable: their shares combine to noise', () => {
    // members 1 and 2 take part honestly in a decryption for {1,2,3}, then try without member 3
    const inst = { id: 'job-2', ciphertext, participants: [1, 2, 3], smudgingBits: DEFAULT_SMUDGING_BITS }
    const two = [1, 2].map((i) => decryptionShare(tc.basis, tc.keys[i - 1]!, inst))
    const withoutThird = decodePlaintext(tc.ctx, combineDecryption(tc.basis, ciphertext, two))
    // or they pool their raw Shamir shares and interpolate a line through two points
    const { basis } = tc
    const ct = readCiphertext(basis, ciphertext)
    const q = basis.primes
    const lambda = (i: number, j: number) => q.map((p) => (BigInt(j) * invMod(BigInt(j - i), p)) % p)
    const pooled = add(
      basis,
      scale(basis, tc.keys[0]!.share, lambda(1, 2)),
      scale(basis, tc.keys[1]!.share, lambda(2, 1)),
    )
    const guess = add(
      basis,
      ct.polys[0]!,
      mul(basis, ct.polys[1]!, prefix(pooled, ct.polys[0]!.limbs.length)),
    )
    const interpolated = decodePlaintext(
      tc.ctx,
      writePlaintext(basis, { parmsId: ct.parmsId, scale: ct.scale, poly: guess }),
    )
    for (const attempt of [withoutThird, interpolated]) {
      const err = maxAbsDiff(attempt, values)
      // the values are within ±100; what comes out is of the order of q/scale, and uncorrelated with them
      expect(err).toBeGreaterThan(1e6)
      expect(Math.abs(correlation(attempt, values))).toBeLessThan(0.1)
    }
  })

  it('attack: an exact share c1·λ_i·s_i would hand out the key share; the smudged one does not', () => {
    const { basis } = tc
    const inst = { id: 'job-6', ciphertext, participants: [1, 2, 3], smudgingBits: DEFAULT_SMUDGING_BITS }
    const ct = readCiphertext(basis, ciphertext)
    const secret = additiveShare(basis, tc.keys[0]!, inst.participants, 3)
    // the attacker divides a share by c1, slot by slot, in the first prime
    const q = basis.primes[0]!
    const divide = (d: typeof secret) => {
      const limb = d.limbs[0]!
      return limb.map((v, k) => (v * invMod(ct.polys[1]!.limbs[0]![k]!, q)) % q)
    }
    const exact = mul(basis, ct.polys[1]!, secret)
    const recoveredFromExact = divide(exact)
    expect(recoveredFromExact.every((v, k) => v === secret.limbs[0]![k])).toBe(true)
    const smudged = decryptionShare(basis, tc.keys[0]!, inst)
    const recoveredFromSmudged = divide(smudged)
    const hits = recoveredFromSmudged.filter((v, k) => v === secret.limbs[0]![k]).length
    expect(hits).toBe(0)
  })

  it('a share is a pure function of the member and the instance: recomputed, it is byte-identical', () => {
    const inst = { id: 'job-3', ciphertext, participants: [2, 3, 4], smudgingBits: DEFAULT_SMUDGING_BITS }
    const first = encodePoly(decryptionShare(tc.basis, tc.keys[1]!, inst))
    const again = encodePoly(decryptionShare(tc.basis, tc.keys[1]!, inst))
    expect(Buffer.from(first).equals(again)).toBe(true)
  })

  it('another ciphertext under a reused instance id gets independent noise: no exact multiple of the key leaks', () => {
    const { basis } = tc
    const other = tc.encrypt(values.map((v) => -v))
    const share = (ct: Uint8Array) =>
      decryptionShare(basis, tc.keys[0]!, {
        id: 'job-4',
        ciphertext: ct,
        participants: [1, 2, 3],
        smudgingBits: 20,
      })
    const [d1, d2] = [share(ciphertext), share(other)]
    const [c1, c2] = [readCiphertext(basis, ciphertext), readCiphertext(basis, other)]
    // if the noise were reused, d1 − d2 − (c1 − c2)·λs would be exactly zero
    const lambdaS = (d: typeof d1, ct: typeof c1, dd: typeof d1) =>
      sub(basis, d, mul(basis, ct.polys[1]!, dd))
    const s = additiveShare(basis, tc.keys[0]!, [1, 2, 3], 3)
    const noise1 = lambdaS(d1, c1, s)
    const noise2 = lambdaS(d2, c2, s)
    expect(noise1.limbs[0]!.some((v, k) => v !== noise2.limbs[0]![k])).toBe(true)
  })

  it('refuses bad participants, foreign shares and unrelinearized ciphertexts with typed errors', () => {
    const inst = { id: 'job-5', ciphertext, participants: [1, 2, 3], smudgingBits: 20 }
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        if (e instanceof ThresholdError) return `${e.code} ${e.field}`
        throw e
      }
      return 'accepted'
    }
    expect(code(() => decryptionShare(tc.basis, tc.keys[3]!, inst))).toBe('PARTICIPANTS_INVALID participants')
    expect(code(() => decryptionShare(tc.basis, tc.keys[0]!, { ...inst, participants: [1, 2] }))).toBe(
      'PARTICIPANTS_INVALID participants',
    )
    expect(code(() => decryptionShare(tc.basis, tc.keys[0]!, { ...inst, participants: [2, 1, 3] }))).toBe(
      'PARTICIPANTS_INVALID participants',
    )
    expect(code(() => decryptionShare(tc.basis, tc.keys[0]!, { ...inst, participants: [1, 2, 9] }))).toBe(
      'PARTICIPANTS_INVALID participants[2]',
    )
    const share = decryptionShare(tc.basis, tc.keys[0]!, inst)
    expect(code(() => combineDecryption(tc.basis, ciphertext, [share, tc.keys[0]!.share]))).toBe(
      'SHARE_INVALID decryption shares[1]',
    )
    expect(code(() => decryptionShare(tc.basis, tc.keys[0]!, { ...inst, smudgingBits: 70 }))).toBe(
      'PARAMS_INVALID smudgingBits',
    )
  })
})

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length)
  let [sa, sb, saa, sbb, sab] = [0, 0, 0, 0, 0]
  for (let i = 0; i < n; i++) {
    const [x, y] = [a[i]!, b[i]!]
    sa += x
    sb += y
    saa += x * x
    sbb += y * y
    sab += x * y
  }
  const cov = sab / n - (sa / n) * (sb / n)
  return cov / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2))
}
