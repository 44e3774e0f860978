import type { Ciphertext, GaloisKeys, Plaintext } from 'node-seal'
import { SandboxError } from '../errors.ts'
import type { HeContext } from '../he/seal.ts'
import { describe } from '../he/serialize.ts'
import { nttTables } from '../threshold/ntt.ts'

/**
 * Two values per complex slot: one ciphertext carries two chunks of a
 * column, the first in the slots' real parts and the second in their
 * imaginary parts, so a vault stores and sends half the ciphertexts.
 *
 * node-seal's CKKS encoder takes real slots only. The imaginary half is
 * made from a real encoding: the monomial X^(N/2) is i·χ_j in slot j (SEAL
 * puts slot j at the root ζ^(3^j), and (ζ^(N/2))^(3^j) = i^(3^j), with
 * χ_j = ±1 as 3^j is 1 or 3 mod 4). So the seller encrypts
 *   P = enc(x) + X^(N/2)·enc(y), slot j = x_j + i·χ_j·y_j.
 * Whoever evaluates separates the halves with one conjugation (a Galois key
 * switch, slot j becomes x_j − i·χ_j·y_j):
 *   ct + conj(ct)               = 2x
 *   (conj(ct) − ct)·X^(N/2)     = −2i·χ·y · i·χ = 2y
 * Both halves are encoded at half the scale and labelled with the full one,
 * so each separated half is an ordinary ciphertext of its chunk at the
 * profile's scale, at the top level, exactly what a one-value-per-slot vault
 * holds: the compiler, the evaluator and decryption are unchanged.
 * A multiplication by X^(N/2) is exact (a signed permutation of the
 * coefficients), and the conjugation adds key-switching noise as a rotation
 * does, once per ciphertext, before anything else.
 */
export interface ComplexPairs {
  /** The plaintext of `x` in the real parts and `y` in the imaginary parts (each at most slotCount values). */
  encode(x: Float64Array, y: Float64Array, out: Plaintext): void
  /** The two chunks a pair ciphertext holds, as ordinary ciphertexts; the caller deletes them. */
  split(pair: Ciphertext, galoisKeys: GaloisKeys): [Ciphertext, Ciphertext]
}

/** SEAL 4 serialization offsets (see packed.ts and threshold/seal-format.ts for the layout). */
const PLAIN_SCALE = 16 + 32 + 8
const PLAIN_DATA = PLAIN_SCALE + 8 + 16 + 8
const CIPHER_SCALE = 16 + 32 + 1 + 8 + 8 + 8
const CIPHER_DATA = CIPHER_SCALE + 8 + 8 + 16 + 8

const codecs = new WeakMap<HeContext, ComplexPairs>()

/** The pair codec of a context, built once per SEAL instance (it holds no key). */
export function complexPairs(ctx: HeContext): ComplexPairs {
  let codec = codecs.get(ctx)
  if (!codec) {
    codec = build(ctx)
    codecs.set(ctx, codec)
  }
  return codec
}

function build(ctx: HeContext): ComplexPairs {
  const { seal, encoder, evaluator, context } = ctx
  const n = ctx.profile.polyModulusDegree
  const half = ctx.scale / 2
  const slots = ctx.profile.slotCount
  const limbs = ctx.profile.coeffModulusBits.length - 1
  const dataBytes = limbs * n * 8

  // A plaintext at the first level, as the template of every plaintext made here.
  const px = new seal.Plaintext()
  const py = new seal.Plaintext()
  encoder.encode(new Float64Array(slots), 1, px)
  const plainTemplate = bytesOf(px.saveToArray(seal.ComprModeType.none))
  expectLength(plainTemplate.length, PLAIN_DATA + dataBytes, 'plaintext')

  // X^(N/2) in SEAL's NTT form at the first level, scale 1: its product keeps a ciphertext's scale.
  const monoNtt = halfMonomialNtt(ctx, limbs)
  const mono = plainTemplate.slice()
  mono.set(monoNtt, PLAIN_DATA)
  new DataView(mono.buffer).setFloat64(PLAIN_SCALE, 1, true)
  const monomial = load(ctx, new seal.Plaintext(), mono, 'the monomial X^(N/2)')

  // The product X^(N/2)·enc(y) is taken by SEAL's evaluator, which multiplies a ciphertext by a
  // plaintext only: X^(N/2) rides as c0 of a ciphertext (c1 any non-zero polynomial, so that SEAL
  // sees no transparent ciphertext; its product is thrown away), enc(y) is the plaintext.
  const keygen = new seal.KeyGenerator(context)
  const publicKey = keygen.createPublicKey()
  const encryptor = new seal.Encryptor(context, publicKey)
  const carrier = new seal.Ciphertext()
  encryptor.encrypt(px, carrier)
  const carrierBytes = bytesOf(carrier.saveToArray(seal.ComprModeType.none))
  expectLength(carrierBytes.length, CIPHER_DATA + 2 * dataBytes, 'ciphertext')
  for (const o of [encryptor, publicKey, keygen]) o.delete()
  carrierBytes.set(monoNtt, CIPHER_DATA)
  new DataView(carrierBytes.buffer).setFloat64(CIPHER_SCALE, 1, true)
  load(ctx, carrier, carrierBytes, 'the pair carrier')
  const product = new seal.Ciphertext()
  const plainBytes = plainTemplate.slice()
  const plainView = new DataView(plainBytes.buffer)

  return {
    encode(x, y, out) {
      if (x.length > slots || y.length > slots) {
        throw new SandboxError('CIPHERTEXT_INVALID', `a pair holds two halves of at most ${slots} values`)
      }
      encoder.encode(y, half, py)
      // An empty second half (a vault's last chunk): SEAL refuses a product that is all zero.
      if (py.isZero()) {
        encoder.encode(x, half, out)
        out.setScale(ctx.scale)
        return
      }
      encoder.encode(x, half, px)
      evaluator.multiplyPlain(carrier, py, product)
      evaluator.addPlainInplace(product, px)
      const sum = bytesOf(product.saveToArray(seal.ComprModeType.none))
      plainBytes.set(sum.subarray(CIPHER_DATA, CIPHER_DATA + dataBytes), PLAIN_DATA)
      // Encoded at half the scale, labelled with the whole: ct + conj(ct) is then 2·(scale/2)·x.
      plainView.setFloat64(PLAIN_SCALE, ctx.scale, true)
      load(ctx, out, plainBytes, 'the pair plaintext')
    },
    split(pair, galoisKeys) {
      // Galois element 2N - 1 is the conjugation.
      if (!galoisKeys.hasKey(2 * n - 1)) {
        throw new SandboxError(
          'KEY_INVALID',
          "the vault's Galois keys have no conjugation: its two-values-per-slot ciphertexts cannot be separated",
          { field: 'keys.galoisKeys' },
        )
      }
      const conj = new seal.Ciphertext()
      const re = new seal.Ciphertext()
      const im = new seal.Ciphertext()
      try {
        evaluator.complexConjugate(pair, galoisKeys, conj)
        evaluator.add(pair, conj, re)
        evaluator.sub(conj, pair, im)
        evaluator.multiplyPlainInplace(im, monomial)
        return [re, im]
      } catch (cause) {
        re.delete()
        im.delete()
        throw new SandboxError(
          'CIPHERTEXT_INVALID',
          `cannot separate a two-values-per-slot ciphertext: ${describe(cause, seal)}`,
          { cause },
        )
      } finally {
        conj.delete()
      }
    },
  }
}

/**
 * X^(N/2) in SEAL's NTT form, limb after limb: SEAL's slot k of a limb is the polynomial at
 * ψ^(2·rev(k)+1) (threshold/ntt.ts), where X^(N/2) is I^(2·rev(k)+1) with I = ψ^(N/2), a square
 * root of -1: I where rev(k) is even (k < N/2), -I elsewhere. Closed form, not a transform: an
 * NTT of BigInts cost each encryption worker half a second to start.
 */
function halfMonomialNtt(ctx: HeContext, limbs: number): Uint8Array {
  const n = ctx.profile.polyModulusDegree
  const moduli = ctx.context.firstContextData().parms().coeffModulus()
  const out = new Uint8Array(limbs * n * 8)
  const view = new DataView(out.buffer)
  for (let j = 0; j < limbs; j++) {
    const q = moduli.get(j)!.value()
    // psiRev[rev(i)] = ψ^i, and rev(N/2) = 1.
    const i = nttTables(n, q).psiRev[1]!
    for (let k = 0; k < n; k++) view.setBigUint64((j * n + k) * 8, k < n / 2 ? i : q - i, true)
  }
  return out
}

function load<T extends { loadFromArray(c: HeContext['context'], b: Uint8Array): void }>(
  ctx: HeContext,
  into: T,
  bytes: Uint8Array,
  what: string,
): T {
  try {
    into.loadFromArray(ctx.context, bytes)
    return into
  } catch (cause) {
    throw new SandboxError('CIPHERTEXT_INVALID', `${what} did not load: ${describe(cause, ctx.seal)}`, {
      cause,
    })
  }
}

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v
  throw new SandboxError('CIPHERTEXT_INVALID', 'node-seal returned a non-byte serialization')
}

function expectLength(actual: number, expected: number, what: string): void {
  if (actual !== expected) {
    throw new SandboxError(
      'CIPHERTEXT_INVALID',
      `SEAL's ${what} serialization is ${actual} bytes, not the ${expected} this layout expects`,
    )
  }
}
