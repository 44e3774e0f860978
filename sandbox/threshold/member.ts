import { randomBytes } from 'node:crypto'
import { type Committee, checkMemberIndex } from './committee.ts'
import { ThresholdError } from './errors.ts'
import { bindInputs, Prg } from './prg.ts'
import { fromSigned, type RnsBasis, type RnsPoly } from './rns.ts'

/**
 * What one committee member keeps secret and persists before it sends
 * anything: a 32-byte seed. Its secret polynomial s_i and every piece of
 * randomness of every share it will ever send derive from the seed, the
 * protocol, the instance id and the instance's public inputs, so a restart
 * recomputes byte-identical shares.
 */
export interface MemberSecret {
  readonly committee: Committee
  readonly index: number
  readonly seed: Uint8Array
}

export function newMemberSecret(committee: Committee, index: number): MemberSecret {
  checkMemberIndex(committee, index, 'index')
  return { committee, index, seed: new Uint8Array(randomBytes(32)) }
}

export function checkMemberSecret(m: MemberSecret): void {
  checkMemberIndex(m.committee, m.index, 'member.index')
  if (m.seed.length !== 32) {
    throw new ThresholdError('PARAMS_INVALID', 'member.seed', `is ${m.seed.length} bytes, expected 32`)
  }
}

/** s_i: uniform ternary, as SEAL samples its own secret keys. */
export function secretCoeffs(basis: RnsBasis, m: MemberSecret): Int8Array {
  checkMemberSecret(m)
  return new Prg(m.seed, 'member-secret').ternary(basis.n)
}

const nttCache = new WeakMap<MemberSecret, RnsPoly>()

/** s_i in NTT form over every key-level prime. */
export function secretPoly(basis: RnsBasis, m: MemberSecret): RnsPoly {
  const hit = nttCache.get(m)
  if (hit) return hit
  const p = fromSigned(basis, secretCoeffs(basis, m))
  nttCache.set(m, p)
  return p
}

/**
 * The randomness of one share: keyed by the member's seed, separated by
 * protocol, and bound to the instance id and every public input. Same
 * instance and inputs: same bytes (a retry is a re-send). Any changed input
 * (another ciphertext under a reused id): independent randomness, so two
 * shares never differ by an exact multiple of the secret.
 */
export function sharePrg(m: MemberSecret, protocol: string, inputs: readonly (string | Uint8Array)[]): Prg {
  checkMemberSecret(m)
  const bound = Buffer.from(bindInputs(inputs)).toString('hex')
  return new Prg(m.seed, `${protocol}/${bound}`)
}
