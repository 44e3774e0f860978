import { createHash } from 'node:crypto'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { z } from 'zod'
import { keccakEngine } from './keccak-engine.ts'

export type Hex = `0x${string}`
/** 32 bytes, lowercase hex: hashes and ids. */
export type Hex32 = Hex
/** 20 bytes, lowercase hex: Ethereum addresses. */
export type Address = Hex

/** The all-zero 32-byte value: the blockHash of a nil vote. */
export const ZERO_HASH: Hex32 = `0x${'0'.repeat(64)}`
/** The all-zero address: the owner of an unregistered vault, the owner JobPaid names for a pool. */
export const ZERO_ADDRESS: Address = `0x${'0'.repeat(40)}`

// Lowercase only, so that every value has exactly one spelling and canonical bytes are unique.
const hexMatching = (pattern: RegExp, message: string) =>
  z.custom<Hex>((value) => typeof value === 'string' && pattern.test(value), message)

/** Exactly `bytes` bytes of lowercase hex. */
export const fixedHexSchema = (bytes: number) =>
  hexMatching(new RegExp(`^0x[0-9a-f]{${2 * bytes}}$`), `expected ${bytes} bytes of lowercase hex`)

export const hex32Schema = fixedHexSchema(32)
export const addressSchema = fixedHexSchema(20)
/** 65-byte r || s || v secp256k1 signature as Solidity's ecrecover takes it (v is 27 or 28). */
export const signatureSchema = fixedHexSchema(65)
/** A compressed secp256k1 public key (33 bytes, 02 or 03 first): what results are sealed to. */
export const compressedPublicKeySchema = hexMatching(
  /^0x0[23][0-9a-f]{64}$/,
  'expected a compressed secp256k1 public key',
)

/** Variable-length lowercase hex of minBytes to maxBytes bytes. */
export const hexBytesSchema = (maxBytes: number, minBytes = 0) =>
  hexMatching(
    new RegExp(`^0x(?:[0-9a-f]{2}){${minBytes},${maxBytes}}$`),
    minBytes === 0
      ? `expected at most ${maxBytes} bytes of lowercase hex`
      : `expected ${minBytes} to ${maxBytes} bytes of lowercase hex`,
  )

/** A uint256 amount of wei as a decimal string without leading zeros. */
export const weiSchema = z.string().refine(isUint256Decimal, 'expected a decimal wei amount below 2^256')

const UINT256_MAX = (2n ** 256n - 1n).toString()

function isUint256Decimal(value: string): boolean {
  if (!/^(?:0|[1-9][0-9]*)$/.test(value)) return false
  // Same length decimal strings without leading zeros compare like the numbers they spell.
  return value.length < UINT256_MAX.length || (value.length === UINT256_MAX.length && value <= UINT256_MAX)
}

export const toHex = (bytes: Uint8Array): Hex => `0x${bytesToHex(bytes)}`
export const fromHex = (hex: Hex): Uint8Array => hexToBytes(hex.slice(2))
export const keccak256 = (bytes: Uint8Array): Hex32 => toHex(keccakEngine().keccak256(bytes))
// node:crypto rather than @noble: blobs run to tens of MB (Galois keys), and OpenSSL hashes them ~10x faster.
export const sha256 = (bytes: Uint8Array): Hex32 => `0x${createHash('sha256').update(bytes).digest('hex')}`
