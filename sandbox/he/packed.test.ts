import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isSandboxError } from '../errors.ts'
import { isPacked, packCiphertext, unpackCiphertext } from './packed.ts'
import { PROFILES } from './profiles.ts'
import { heContext } from './seal.ts'
import { canonicalBytes, loadCiphertext, wireBytes } from './serialize.ts'

const profile = PROFILES['ckks-8192']

async function freshSeeded() {
  const ctx = await heContext('ckks-8192')
  const keygen = new ctx.seal.KeyGenerator(ctx.context)
  const secretKey = keygen.secretKey()
  const publicKey = keygen.createPublicKey()
  const encryptor = new ctx.seal.Encryptor(ctx.context, publicKey, secretKey)
  const plain = new ctx.seal.Plaintext()
  ctx.encoder.encode(
    Float64Array.from({ length: 4096 }, (_, i) => Math.sin(i)),
    ctx.scale,
    plain,
  )
  const serializable = encryptor.encryptSymmetricSerializable(plain)
  const seal = serializable.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array
  const zstd = wireBytes(ctx.seal, serializable)
  for (const o of [serializable, plain, encryptor, publicKey, secretKey, keygen]) o.delete()
  return { ctx, seal, zstd }
}

const code = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    return isSandboxError(e) ? e.code : String(e)
  }
  return undefined
}

/**
 * SEAL bytes of a fresh ciphertext whose residues (and seed) are replaced by a fixed stream:
 * the packer reads only their widths, so its output is reproducible and can be pinned.
 */
async function reproducibleSeal(): Promise<Uint8Array> {
  const { seal } = await freshSeeded()
  const dataAt = 113 // SEAL 4's ciphertext header and members, then its data array's header
  const bits = profile.coeffModulusBits.slice(0, -1)
  const n = profile.polyModulusDegree
  const out = seal.slice()
  const view = new DataView(out.buffer)
  let block = new Uint8Array(0)
  let counter = 0
  const word = () => {
    if (block.length < 8) block = createHash('sha256').update(`packed/${counter++}`).digest()
    const v = new DataView(block.buffer, block.byteOffset, 8).getBigUint64(0, true)
    block = block.subarray(8)
    return v
  }
  bits.forEach((b, j) => {
    for (let k = 0; k < n; k++)
      view.setBigUint64(dataAt + (j * n + k) * 8, word() & ((1n << BigInt(b)) - 1n), true)
  })
  out.fill(0, dataAt + bits.length * n * 8)
  return out
}

describe('bit-packed ciphertexts', () => {
  it('keep their version-1 bytes: packing pinned, old blobs read back exactly', async () => {
    const seal = await reproducibleSeal()
    const packed = packCiphertext(profile, seal)
    expect(createHash('sha256').update(packed).digest('hex')).toBe(
      'b05758161cb0aa78c7c9ece3a0477ae17887bbb01bbc76f2ce26fc3fe872f4fc',
    )
    expect(unpackCiphertext(profile, packed, 'pinned')).toEqual(seal)
  })

  it('round-trip to SEAL bytes exactly, smaller than zstd', async () => {
    const { ctx, seal, zstd } = await freshSeeded()
    const packed = packCiphertext(profile, seal)
    expect(isPacked(packed)).toBe(true)
    expect(unpackCiphertext(profile, packed, 'ct')).toEqual(seal)
    // 8192 coefficients x (60 + 40 + 40) bits, plus SEAL's header and seed.
    expect(packed.length).toBeLessThan(8192 * 17.5 + 300)
    expect(packed.length).toBeLessThan(zstd.length)
    const fromPacked = loadCiphertext(ctx, packed, 'packed')
    const fromZstd = loadCiphertext(ctx, zstd, 'zstd')
    expect(canonicalBytes(ctx, fromPacked)).toEqual(canonicalBytes(ctx, fromZstd))
    fromPacked.delete()
    fromZstd.delete()
  })

  it('refuse malformed blobs with a typed error, never a wrong ciphertext', async () => {
    const { ctx, seal } = await freshSeeded()
    const packed = packCiphertext(profile, seal)
    const mutated = (f: (b: Uint8Array) => Uint8Array) => f(packed.slice())
    expect(code(() => unpackCiphertext(profile, packed.subarray(0, packed.length - 1), 'x'))).toBe(
      'PACKED_INVALID',
    )
    expect(code(() => unpackCiphertext(profile, new Uint8Array([...packed, 0]), 'x'))).toBe('PACKED_INVALID')
    expect(code(() => unpackCiphertext(profile, packed.subarray(0, 9), 'x'))).toBe('PACKED_INVALID')
    expect(code(() => unpackCiphertext(PROFILES['ckks-16384'], packed, 'x'))).toBe('PACKED_INVALID')
    expect(
      code(() =>
        unpackCiphertext(
          profile,
          mutated((b) => {
            b[4] = 9
            return b
          }),
          'x',
        ),
      ),
    ).toBe('PACKED_INVALID')
    // A residue of all ones is not below its 40-bit prime: it unpacks, and SEAL refuses it on load.
    const overflow = mutated((b) => {
      b.fill(0xff, b.length - 10)
      return b
    })
    expect(code(() => loadCiphertext(ctx, overflow, 'x'))).toBe('CIPHERTEXT_INVALID')
    // Only SEAL's own fresh seeded layout packs.
    expect(code(() => packCiphertext(profile, seal.subarray(0, 200)))).toBe('CIPHERTEXT_INVALID')
  })
})
