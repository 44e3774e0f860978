import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { concatBytes } from '@noble/hashes/utils.js'
import { type Address, fromHex, type Hex, type Hex32, keccak256, toHex } from '../hex.ts'
import { curveEngine } from './curve-engine.ts'

/** Signs a 32-byte digest: r || s || v with v in {27, 28} and low s, as ecrecover and OpenZeppelin accept. */
export function signDigest(privateKey: Hex32, digest: Hex32): Hex {
  const { compact, recoveryId } = curveEngine().sign(fromHex(digest), fromHex(privateKey))
  // Ethereum puts v = 27 + recovery id last.
  return toHex(concatBytes(compact, Uint8Array.of(27 + recoveryId)))
}

const ORDER = secp256k1.Point.CURVE().n
const HALF_ORDER = ORDER / 2n

/**
 * Recovered signers kept, most recent last. A validator checks the same signature several times
 * (a request on arrival, again in each block that proposes it; an attestation on arrival, again in
 * each certificate; a precommit on arrival, again in the commit certificate), and a recovery is
 * ~1-2 ms of JS: a quarter of a validator's CPU in a burst. Bounded: a spammer's distinct signatures
 * only evict entries, and a miss recomputes the same answer.
 */
const RECOVERED_MAX = 4096
const recovered = new Map<string, Address | undefined>()

/** The signer of a digest, or undefined for anything ecrecover would not accept from an honest signer. */
export function recoverAddress(digest: Hex32, signature: Hex): Address | undefined {
  if (!wellFormed(digest, signature)) return undefined
  // Both parts are of fixed length, so the key is the whole input: a hit is what recovery would give.
  const key = `${digest}${signature}`
  if (recovered.has(key)) return recovered.get(key)
  const publicKey = recoverKey(digest, signature, false)
  const address = publicKey === undefined ? undefined : publicKeyToAddress(publicKey)
  recovered.set(key, address)
  if (recovered.size > RECOVERED_MAX) recovered.delete(recovered.keys().next().value as string)
  return address
}

/**
 * The compressed public key that made a signature, under the same rules as recoverAddress. Lets a
 * peer seal to a validator whose only published identity is its address (the DKG's dealings).
 */
export const recoverPublicKey = (digest: Hex32, signature: Hex): Uint8Array | undefined =>
  recoverKey(digest, signature, true)

/**
 * Every acceptance rule is here, before the engine computes, so a native and the JS engine accept
 * exactly the same signatures. Uncompressed for an address: decompressing a key again is a square
 * root in JS.
 */
function recoverKey(digest: Hex32, signature: Hex, compressed: boolean): Uint8Array | undefined {
  if (!wellFormed(digest, signature)) return undefined
  const bytes = fromHex(signature)
  const v = bytes[64]!
  if (v !== 27 && v !== 28) return undefined
  const r = BigInt(`0x${signature.slice(2, 66)}`)
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  // High s is the malleable twin of a valid signature; refusing it keeps one signature per vote.
  if (r === 0n || r >= ORDER || s === 0n || s > HALF_ORDER) return undefined
  try {
    return curveEngine().recover(bytes.subarray(0, 64), v - 27, fromHex(digest), compressed)
  } catch {
    // No curve point has r as its x: nothing recovers.
    return undefined
  }
}

const wellFormed = (digest: string, signature: string): boolean =>
  /^0x[0-9a-fA-F]{130}$/.test(signature) && /^0x[0-9a-fA-F]{64}$/.test(digest)

/** Ethereum address of an uncompressed (65-byte) or compressed (33-byte) secp256k1 public key. */
export function publicKeyToAddress(publicKey: Uint8Array): Address {
  const uncompressed =
    publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false)
  return toHex(keccak_256(uncompressed.subarray(1)).subarray(12))
}

/**
 * Addresses of the keys this process signs with, by the key's hash (the secret itself is not
 * kept): a validator names itself in every attestation, vote and release it signs, a vault owner
 * in each release, and deriving the public key is a JS point multiplication (~3-5 ms). Keys are
 * local, never from the network; a handful is all a process holds, and a miss recomputes the
 * same answer.
 */
const ADDRESSES_MAX = 16
const addresses = new Map<string, Address>()

export function addressOfPrivateKey(privateKey: Hex32): Address {
  const secret = fromHex(privateKey)
  try {
    const key = keccak256(secret)
    let address = addresses.get(key)
    if (address === undefined) {
      // Thrown for an invalid key before anything is remembered.
      address = publicKeyToAddress(secp256k1.getPublicKey(secret, false))
      addresses.set(key, address)
      if (addresses.size > ADDRESSES_MAX) addresses.delete(addresses.keys().next().value as string)
    }
    return address
  } finally {
    secret.fill(0)
  }
}
