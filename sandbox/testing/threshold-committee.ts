import type { Ciphertext, SecretKey } from 'node-seal'
import type { HeContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'
import { type CrsInstance, ckgCombine, ckgCommitment, ckgShare } from '../threshold/ckg.ts'
import { bftCommittee, type Committee } from '../threshold/committee.ts'
import {
  combineDecryption,
  DEFAULT_SMUDGING_BITS,
  decodePlaintext,
  decryptionShare,
} from '../threshold/decrypt.ts'
import { dealKeyShares, type MemberKey, memberKey } from '../threshold/key-share.ts'
import { galoisElement } from '../threshold/kswitch.ts'
import { type MemberSecret, newMemberSecret, secretPoly } from '../threshold/member.ts'
import { rkgAggregate, rkgCombine, rkgRound1, rkgRound2 } from '../threshold/rkg.ts'
import { type RnsBasis, rnsBasis, sum } from '../threshold/rns.ts'
import { galoisKeysBytes, rtgCombine, rtgShare } from '../threshold/rtg.ts'
import { writePlaintext } from '../threshold/seal-format.ts'

/**
 * A whole committee run in one process for tests and benchmarks: every
 * member's secret, the DKG dealing among all of them, and the CKG public
 * key. Real SEAL throughout. `collectiveSecretKey` is the test oracle only:
 * Σ s_i as a SEAL SecretKey, which no party ever holds in operation.
 */
export interface TestCommittee {
  readonly ctx: HeContext
  readonly basis: RnsBasis
  readonly committee: Committee
  readonly members: readonly MemberSecret[]
  readonly keys: readonly MemberKey[]
  readonly ckg: CrsInstance
  /** uncompressed SEAL PublicKey bytes */
  readonly publicKey: Uint8Array
  collectiveSecretKey(): SecretKey
  encrypt(values: readonly number[]): Uint8Array
}

export function testCommittee(ctx: HeContext, n: number, label = 'test'): TestCommittee {
  const basis = rnsBasis(ctx)
  const committee = bftCommittee(n)
  const members = Array.from({ length: n }, (_, i) => newMemberSecret(committee, i + 1))
  const dealings = members.map((m) => dealKeyShares(basis, m, `${label}/dkg`))
  const keys = members.map((m, j) =>
    memberKey(
      basis,
      m,
      dealings.map((d) => d[j]!),
    ),
  )
  const ckg = { id: `${label}/ckg`, crs: new Uint8Array(32).fill(n) }
  const publicKey = ckgCombine(
    basis,
    ckg,
    members.map((m) => {
      const share = ckgShare(basis, m, ckg)
      return { member: m.index, commitment: ckgCommitment(m.index, ckg, share), polys: [share] }
    }),
  )
  return {
    ctx,
    basis,
    committee,
    members,
    keys,
    ckg,
    publicKey,
    collectiveSecretKey() {
      const s = sum(
        basis,
        members.map((m) => secretPoly(basis, m)),
      )
      const bytes = writePlaintext(basis, {
        parmsId: basis.parmsIds.get(basis.primes.length)!,
        scale: 1,
        poly: s,
      })
      return loadInto(ctx, () => new ctx.seal.SecretKey(), bytes, 'collective secret key', 'KEY_INVALID')
    },
    encrypt(values) {
      return encryptUnder(ctx, publicKey, values)
    },
  }
}

/**
 * A ciphertext (uncompressed SEAL bytes) opened as the committee opens one:
 * smudged decryption shares of `participants` (member indices, a threshold
 * of them) combined and decoded to slots.
 */
export function thresholdOpen(
  tc: TestCommittee,
  ciphertext: Uint8Array,
  participants: readonly number[],
  id = 'test/open',
): Float64Array {
  const inst = { id, ciphertext, participants: [...participants], smudgingBits: DEFAULT_SMUDGING_BITS }
  const shares = inst.participants.map((i) => decryptionShare(tc.basis, tc.keys[i - 1]!, inst))
  return decodePlaintext(tc.ctx, combineDecryption(tc.basis, ciphertext, shares))
}

/** SEAL's own public-key encryption of `values` under `publicKey`, as uncompressed bytes. */
export function encryptUnder(ctx: HeContext, publicKey: Uint8Array, values: readonly number[]): Uint8Array {
  const { seal } = ctx
  const pk = loadInto(ctx, () => new seal.PublicKey(), publicKey, 'public key', 'KEY_INVALID')
  const encryptor = new seal.Encryptor(ctx.context, pk)
  const plain = new seal.Plaintext()
  const ct = new seal.Ciphertext()
  try {
    ctx.encoder.encode(Float64Array.from(values), ctx.scale, plain)
    encryptor.encrypt(plain, ct)
    return ct.saveToArray(seal.ComprModeType.none) as Uint8Array
  } finally {
    for (const o of [pk, encryptor, plain, ct]) o.delete()
  }
}

/** SEAL's own single-key decryption and decoding. */
export function decryptWith(
  ctx: HeContext,
  secretKey: SecretKey,
  ciphertext: Uint8Array | Ciphertext,
): Float64Array {
  const { seal } = ctx
  const ct =
    ciphertext instanceof Uint8Array
      ? loadInto(ctx, () => new seal.Ciphertext(), ciphertext, 'ciphertext', 'CIPHERTEXT_INVALID')
      : ciphertext
  const decryptor = new seal.Decryptor(ctx.context, secretKey)
  const plain = new seal.Plaintext()
  try {
    decryptor.decrypt(ct, plain)
    return Float64Array.from(ctx.encoder.decodeFloat64(plain) as ArrayLike<number>)
  } finally {
    decryptor.delete()
    plain.delete()
    if (ciphertext instanceof Uint8Array) ct.delete()
  }
}

export function maxAbsDiff(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  count = Math.min(a.length, b.length),
): number {
  let worst = 0
  for (let i = 0; i < count; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
  return worst
}

/** RKG (both rounds) and RTG for `steps` among all members: SEAL RelinKeys and GaloisKeys bytes. */
export function committeeEvaluationKeys(
  tc: TestCommittee,
  steps: readonly number[],
): { relinKeys: Uint8Array; galoisKeys: Uint8Array } {
  const { basis, members } = tc
  const inst = { id: `${tc.ckg.id}/evk`, crs: tc.ckg.crs }
  const round1 = rkgAggregate(
    basis,
    members.map((m) => rkgRound1(basis, m, inst)),
  )
  const relinKeys = rkgCombine(
    basis,
    round1,
    members.map((m) => rkgRound2(basis, m, inst, round1)),
  )
  const galois = new Map(
    steps.map((step) => {
      const g = galoisElement(basis.n, step)
      const shares = members.map((m) => rtgShare(basis, m, inst, g))
      return [g, rtgCombine(basis, inst, g, shares)] as const
    }),
  )
  return { relinKeys, galoisKeys: galoisKeysBytes(basis, galois) }
}
