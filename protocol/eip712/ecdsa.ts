import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { concatBytes } from '@noble/hashes/utils.js'
import { type Address, fromHex, type Hex, type Hex32, toHex } from '../hex.ts'

/** Signs a 32-byte digest: r || s || v with v in {27, 28} and low s, as ecrecover and OpenZeppelin accept. */
export function signDigest(privateKey: Hex32, digest: Hex32): Hex {
  const recovered = secp256k1.sign(fromHex(digest), fromHex(privateKey), {
    prehash: false,
    format: 'recovered',
  })
  // noble puts the recovery id first; Ethereum puts v = 27 + id last.
  return toHex(concatBytes(recovered.subarray(1), Uint8Array.of(27 + recovered[0]!)))
}

const HALF_ORDER = secp256k1.Point.CURVE().n / 2n

/** The signer of a digest, or undefined for anything ecrecover would not accept from an honest signer. */
export function recoverAddress(digest: Hex32, signature: Hex): Address | undefined {
  const publicKey = recoverPublicKey(digest, signature)
  return publicKey === undefined ? undefined : publicKeyToAddress(publicKey)
}

/**
 * The compressed public key that made a signature, under the same rules as recoverAddress. Lets a
 * peer seal to a validator whose only published identity is its address (the DKG's dealings).
 */
export function recoverPublicKey(digest: Hex32, signature: Hex): Uint8Array | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature) || !/^0x[0-9a-fA-F]{64}$/.test(digest)) return undefined
  const bytes = fromHex(signature)
  const v = bytes[64]!
  if (v !== 27 && v !== 28) return undefined
  const compact = bytes.subarray(0, 64)
  try {
    const parsed = secp256k1.Signature.fromBytes(compact, 'compact')
    // High s is the malleable twin of a valid signature; refusing it keeps one signature per vote.
    if (parsed.s > HALF_ORDER) return undefined
    return parsed
      .addRecoveryBit(v - 27)
      .recoverPublicKey(fromHex(digest))
      .toBytes(true)
  } catch {
    return undefined
  }
}

/** Ethereum address of an uncompressed (65-byte) or compressed (33-byte) secp256k1 public key. */
export function publicKeyToAddress(publicKey: Uint8Array): Address {
  const uncompressed =
    publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false)
  return toHex(keccak_256(uncompressed.subarray(1)).subarray(12))
}

export const addressOfPrivateKey = (privateKey: Hex32): Address =>
  publicKeyToAddress(secp256k1.getPublicKey(fromHex(privateKey), false))
