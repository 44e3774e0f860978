import type { Ciphertext } from 'node-seal'
import type { Hex32 } from '../../protocol/vocabulary.ts'
import { SandboxError } from '../errors.ts'
import type { HeContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'
import { ContributionError } from './errors.ts'

/**
 * A contribution on the wire:
 *
 *   "TCFP" | version 1 | 3 zero bytes | layout id (32) | key id (32) | SEAL ciphertext, uncompressed
 *
 * The ciphertext is at the lowest level (one 60-bit prime), where SEAL's
 * compression wins nothing (its residues are uniformly random: 131,200
 * bytes zstd against 131,185 plain at N=8192) and a public-key encryption
 * cannot be seeded; so it travels uncompressed, which also leaves no
 * decompression for an adversary to inflate, and every valid contribution
 * of a layout has exactly one length.
 */
const MAGIC = [0x54, 0x43, 0x46, 0x50] // "TCFP"
const VERSION = 1
export const ENVELOPE_BYTES = 8 + 32 + 32
/** SEAL 4's ciphertext serialization before its data: header, parms id, members, data array header and count. */
const SEAL_HEAD_BYTES = 16 + 32 + 1 + 8 + 8 + 8 + 8 + 8 + 16 + 8
const SEAL_PARMS_ID = 16

/** The one length of a contribution: the envelope and two polynomials of one prime. */
export function contributionBytes(ctx: HeContext): number {
  return ENVELOPE_BYTES + SEAL_HEAD_BYTES + 2 * ctx.profile.polyModulusDegree * 8
}

export function writeContribution(layoutId: Hex32, keyId: Hex32, seal: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_BYTES + seal.length)
  out.set(MAGIC, 0)
  out[4] = VERSION
  out.set(hexBytes(layoutId), 8)
  out.set(hexBytes(keyId), 40)
  out.set(seal, ENVELOPE_BYTES)
  return out
}

export interface ContributionTarget {
  readonly layoutId: Hex32
  readonly keyId: Hex32
  /** the layout's encoding scale, 2^scaleBits */
  readonly scale: number
}

/**
 * Checks untrusted contribution bytes and loads their ciphertext (the
 * caller deletes it). What can be checked is checked: the envelope, the
 * exact length, SEAL's own validation (header, every residue below its
 * prime), the level, the scale and that the ciphertext is not transparent.
 * Whether the values inside are one-hot and in range, or were encrypted
 * under the named key at all, no one can see without the key: that needs
 * proofs of plaintext knowledge (docs/pools.md).
 */
export function readContribution(ctx: HeContext, target: ContributionTarget, bytes: Uint8Array): Ciphertext {
  const expected = contributionBytes(ctx)
  if (bytes.length !== expected) {
    throw new ContributionError(
      'SIZE_INVALID',
      'bytes',
      `${bytes.length} bytes; a contribution is ${expected}`,
    )
  }
  if (!MAGIC.every((b, i) => bytes[i] === b))
    throw new ContributionError('MALFORMED', 'magic', 'not a contribution')
  if (bytes[4] !== VERSION || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new ContributionError('MALFORMED', 'version', `unknown version ${bytes[4]}`)
  }
  if (!sameBytes(bytes.subarray(8, 40), hexBytes(target.layoutId))) {
    throw new ContributionError(
      'WRONG_LAYOUT',
      'layoutId',
      `made for layout 0x${toHex(bytes.subarray(8, 40))}`,
    )
  }
  if (!sameBytes(bytes.subarray(40, 72), hexBytes(target.keyId))) {
    throw new ContributionError('WRONG_KEY', 'keyId', `encrypted for key 0x${toHex(bytes.subarray(40, 72))}`)
  }
  const seal = bytes.subarray(ENVELOPE_BYTES)
  if (seal[5] !== 0)
    throw new ContributionError('MALFORMED', 'ciphertext', 'compressed; contributions are not')
  if (!sameBytes(seal.subarray(SEAL_PARMS_ID, SEAL_PARMS_ID + 32), parmsIdBytes(ctx))) {
    throw new ContributionError(
      'WRONG_PARAMS',
      'ciphertext.parmsId',
      `not at the lowest level of ${ctx.profile.name}`,
    )
  }
  let ct: Ciphertext
  try {
    ct = loadInto(ctx, () => new ctx.seal.Ciphertext(), seal, 'ciphertext', 'CIPHERTEXT_INVALID')
  } catch (e) {
    if (!(e instanceof SandboxError)) throw e
    throw new ContributionError('MALFORMED', 'ciphertext', e.message, { cause: e })
  }
  const wrong =
    ct.size() !== 2
      ? `${ct.size()} polynomials`
      : !ct.isNttForm()
        ? 'not in NTT form'
        : ct.scale() !== target.scale
          ? `scale 2^${Math.log2(ct.scale())}, expected 2^${Math.log2(target.scale)}`
          : ct.isTransparent()
            ? 'transparent: it would publish its plaintext'
            : undefined
  if (wrong !== undefined) {
    ct.delete()
    throw new ContributionError('WRONG_PARAMS', 'ciphertext', wrong)
  }
  return ct
}

const parmsIds = new WeakMap<HeContext, Uint8Array>()

/** The lowest level's parms id as SEAL serializes it: four little-endian 64-bit words. */
function parmsIdBytes(ctx: HeContext): Uint8Array {
  let bytes = parmsIds.get(ctx)
  if (!bytes) {
    const words = ctx.lastParmsId.values() as ArrayLike<bigint>
    bytes = new Uint8Array(32)
    const view = new DataView(bytes.buffer)
    for (let i = 0; i < 4; i++) view.setBigUint64(8 * i, BigInt(words[i]!), true)
    parmsIds.set(ctx, bytes)
  }
  return bytes
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function hexBytes(hex: Hex32): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16)
  return out
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
