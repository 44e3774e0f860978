import { ThresholdError } from './errors.ts'
import { checkPoly, type RnsBasis, type RnsPoly } from './rns.ts'

/**
 * Wire form of one share polynomial: "TCFP", u8 version 1, u8 limb count,
 * u32 N, then the limbs' u64 values little-endian. Canonical (one value has
 * one encoding), so a persisted share re-sent after a restart is
 * byte-identical and its hash is stable.
 */
const MAGIC = [0x54, 0x43, 0x46, 0x50]
const HEAD = 10

export function encodePoly(p: RnsPoly): Uint8Array {
  const n = p.limbs[0]?.length ?? 0
  const out = new Uint8Array(HEAD + 8 * n * p.limbs.length)
  out.set(MAGIC)
  const view = new DataView(out.buffer)
  view.setUint8(4, 1)
  view.setUint8(5, p.limbs.length)
  view.setUint32(6, n, true)
  p.limbs.forEach((limb, j) => {
    out.set(new Uint8Array(limb.buffer, limb.byteOffset, limb.byteLength), HEAD + 8 * n * j)
  })
  return out
}

/** Decodes and checks a share of `limbCount` limbs of `basis` (every value below its prime). */
export function decodePoly(basis: RnsBasis, bytes: Uint8Array, limbCount: number, what: string): RnsPoly {
  const fail = (m: string): never => {
    throw new ThresholdError('SHARE_INVALID', what, m)
  }
  if (bytes.length < HEAD || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a TCFP share polynomial')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint8(4) !== 1) fail(`unknown version ${view.getUint8(4)}`)
  if (view.getUint8(5) !== limbCount) fail(`has ${view.getUint8(5)} RNS limbs, expected ${limbCount}`)
  if (view.getUint32(6, true) !== basis.n) fail(`has degree ${view.getUint32(6, true)}, expected ${basis.n}`)
  if (bytes.length !== HEAD + 8 * basis.n * limbCount)
    fail(`is ${bytes.length} bytes, expected ${HEAD + 8 * basis.n * limbCount}`)
  const all = new BigUint64Array(bytes.slice(HEAD).buffer)
  const p = { limbs: Array.from({ length: limbCount }, (_, j) => all.slice(j * basis.n, (j + 1) * basis.n)) }
  checkPoly(basis, p, limbCount, what)
  return p
}
