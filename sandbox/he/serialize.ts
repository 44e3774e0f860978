import type { Ciphertext, ComprModeType, SEALContext } from 'node-seal'
import { SandboxError } from '../errors.ts'
import { isPacked, unpackCiphertext } from './packed.ts'
import type { HeContext, SealModule } from './seal.ts'

/**
 * Three byte forms exist for every SEAL object:
 * - canonical: uncompressed, expanded. Deterministic for a given value, so
 *   result hashes are taken over it.
 * - wire: seeded where SEAL can seed (fresh symmetric ciphertexts and keys
 *   carry a PRNG seed instead of half their polynomial) and zstd-compressed;
 *   a vault's ciphertexts instead have their residues bit-packed (packed.ts).
 *   What goes to disk and over the network.
 */
export function canonicalBytes(ctx: HeContext, obj: Pick<SealObject, 'saveToArray'>): Uint8Array {
  return asBytes(obj.saveToArray(ctx.seal.ComprModeType.none))
}

export function wireBytes(seal: SealModule, obj: Pick<SealObject, 'saveToArray'>): Uint8Array {
  return asBytes(obj.saveToArray(seal.ComprModeType.zstd))
}

function asBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v
  throw new SandboxError('CIPHERTEXT_INVALID', 'node-seal returned a non-byte serialization')
}

/** The serialization surface every SEAL key, plaintext and ciphertext shares. */
export interface SealObject {
  loadFromArray(ctx: SEALContext, bytes: Uint8Array): void
  saveToArray(mode: ComprModeType): unknown
  delete(): void
}

/**
 * Loads SEAL bytes into a fresh object, turning every failure (truncation,
 * bytes of another profile, garbage) into a typed error. SEAL validates the
 * header, sizes and that the object's parameters belong to this context.
 */
export function loadInto<T extends SealObject>(
  ctx: HeContext,
  make: () => T,
  bytes: Uint8Array,
  what: string,
  code: 'CIPHERTEXT_INVALID' | 'KEY_INVALID',
): T {
  const obj = make()
  try {
    // Embind accepts exactly Uint8Array, not subclasses such as Buffer.
    obj.loadFromArray(ctx.context, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    return obj
  } catch (cause) {
    obj.delete()
    throw new SandboxError(
      code,
      `${what} is not a valid ${ctx.profile.name} SEAL object (${describe(cause, ctx.seal)})`,
      {
        field: what,
        cause,
      },
    )
  }
}

/** A fresh ciphertext from its wire bytes: bit-packed (see packed.ts) or SEAL's own, zstd or not. */
export function loadCiphertext(ctx: HeContext, bytes: Uint8Array, what: string): Ciphertext {
  const seal = isPacked(bytes) ? unpackCiphertext(ctx.profile, bytes, what) : bytes
  const ct = loadInto(ctx, () => new ctx.seal.Ciphertext(), seal, what, 'CIPHERTEXT_INVALID')
  if (ct.size() !== 2 || ct.polyModulusDegree() !== ctx.profile.polyModulusDegree) {
    ct.delete()
    throw new SandboxError('CIPHERTEXT_INVALID', `${what} is not a fresh ${ctx.profile.name} ciphertext`, {
      field: what,
    })
  }
  return ct
}

/** A readable message for anything thrown, including SEAL's C++ exceptions crossing the WASM boundary. */
export function describe(cause: unknown, seal?: SealModule): string {
  if (cause instanceof Error) return cause.message
  const decode = (seal as { getExceptionMessage?: (e: unknown) => unknown } | undefined)?.getExceptionMessage
  if (decode && typeof cause === 'object' && cause !== null) {
    try {
      const parts = decode(cause)
      if (Array.isArray(parts)) return parts.filter(Boolean).join(': ')
    } catch {
      // not a C++ exception after all
    }
  }
  if (typeof cause === 'number') return `SEAL exception ${cause}`
  return String(cause)
}

/**
 * A ciphertext's stored (zstd) bytes as SEAL's uncompressed form: what the threshold maths reads
 * (sandbox/threshold/seal-format.ts refuses compressed bytes).
 */
export function uncompressedCiphertext(ctx: HeContext, bytes: Uint8Array): Uint8Array {
  const ct = loadInto(ctx, () => new ctx.seal.Ciphertext(), bytes, 'ciphertext', 'CIPHERTEXT_INVALID')
  try {
    return asBytes(ct.saveToArray(ctx.seal.ComprModeType.none))
  } finally {
    ct.delete()
  }
}

/** A public key's stored bytes (zstd or not) as SEAL's uncompressed form, for the threshold maths. */
export function uncompressedPublicKey(ctx: HeContext, bytes: Uint8Array): Uint8Array {
  const pk = loadInto(ctx, () => new ctx.seal.PublicKey(), bytes, 'public key', 'KEY_INVALID')
  try {
    return asBytes(pk.saveToArray(ctx.seal.ComprModeType.none))
  } finally {
    pk.delete()
  }
}
