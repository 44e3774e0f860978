import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { z } from 'zod'

export type Hex = `0x${string}`
/** 32 bytes, lowercase hex: hashes and ids. */
export type Hex32 = Hex
/** 20 bytes, lowercase hex: Ethereum addresses. */
export type Address = Hex

/** The all-zero 32-byte value: the blockHash of a nil vote. */
export const ZERO_HASH: Hex32 = `0x${'0'.repeat(64)}`

// Lowercase only, so that every value has exactly one spelling and canonical bytes are unique.
const hexMatching = (pattern: RegExp, message: string) =>
  z.custom<Hex>((value) => typeof value === 'string' && pattern.test(value), message)

const fixedHex = (bytes: number) =>
  hexMatching(new RegExp(`^0x[0-9a-f]{${2 * bytes}}$`), `expected ${bytes} bytes of lowercase hex`)

export const hex32Schema = fixedHex(32)
export const addressSchema = fixedHex(20)
/** 65-byte r || s || v secp256k1 signature as Solidity's ecrecover takes it (v is 27 or 28). */
export const signatureSchema = fixedHex(65)

/** Variable-length lowercase hex of at most maxBytes bytes. */
export const hexBytesSchema = (maxBytes: number) =>
  hexMatching(
    new RegExp(`^0x(?:[0-9a-f]{2}){0,${maxBytes}}$`),
    `expected at most ${maxBytes} bytes of lowercase hex`,
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
export const keccak256 = (bytes: Uint8Array): Hex32 => toHex(keccak_256(bytes))
