import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, concatBytes, numberToBytesBE } from '@noble/curves/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'

/**
 * Chaum–Pedersen proof that Z = r·E for the r with R = r·G, without revealing r. A DKG recipient
 * attaches it to the ECDH point it reveals in a complaint: then anyone can derive the one key the
 * dealer's ciphertext was sealed under, and a recipient cannot present another point that opens
 * the ciphertext to a share the dealer never sent.
 */
const Point = secp256k1.Point
const N = Point.CURVE().n
const G = Point.BASE
const DOMAIN = new TextEncoder().encode('tcf/dleq/secp256k1/v1')

export interface DleqProof {
  /** challenge, 32 bytes */
  readonly c: Uint8Array
  /** response, 32 bytes */
  readonly s: Uint8Array
}

const mod = (x: bigint) => ((x % N) + N) % N

function challenge(points: readonly (typeof G)[]): bigint {
  return mod(bytesToNumberBE(sha256(concatBytes(DOMAIN, ...points.map((p) => p.toBytes(true))))))
}

/** `r` is the prover's secret (32 bytes); E the other base; returns Z = r·E and its proof. */
export function proveDleq(r: Uint8Array, otherBase: Uint8Array): { point: Uint8Array; proof: DleqProof } {
  const x = bytesToNumberBE(r)
  const E = Point.fromBytes(otherBase)
  const R = G.multiply(x)
  const Z = E.multiply(x)
  // The nonce is random: a proof need not be re-sent byte-identical, only be valid.
  const w = bytesToNumberBE(secp256k1.utils.randomSecretKey())
  const c = challenge([R, E, Z, G.multiply(w), E.multiply(w)])
  const s = mod(w + c * x)
  return { point: Z.toBytes(true), proof: { c: numberToBytesBE(c, 32), s: numberToBytesBE(s, 32) } }
}

/** Whether log_G(R) = log_E(Z). False for anything malformed, never a throw. */
export function verifyDleq(
  publicKey: Uint8Array,
  otherBase: Uint8Array,
  point: Uint8Array,
  proof: DleqProof,
): boolean {
  try {
    const [R, E, Z] = [Point.fromBytes(publicKey), Point.fromBytes(otherBase), Point.fromBytes(point)]
    const c = bytesToNumberBE(proof.c)
    const s = bytesToNumberBE(proof.s)
    // noble refuses to multiply by 0, and an honest challenge or response is never 0 but with negligible odds
    if (c === 0n || c >= N || s === 0n || s >= N) return false
    // s·G − c·R = w·G and s·E − c·Z = w·E when the proof is honest
    const A1 = G.multiply(s).subtract(R.multiply(c))
    const A2 = E.multiply(s).subtract(Z.multiply(c))
    return challenge([R, E, Z, A1, A2]) === c
  } catch {
    return false
  }
}
