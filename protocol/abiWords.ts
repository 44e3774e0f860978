import { concatBytes } from '@noble/hashes/utils.js'
import { type Address, fromHex, type Hex32, keccak256 } from './hex.ts'

// Solidity's abi.encode of static types is a row of 32-byte words; building them by hand keeps
// vote hashing (the consensus hot path) synchronous and allocation-light.

export function uintWord(value: bigint | number): Uint8Array {
  const word = new Uint8Array(32)
  let rest = BigInt(value)
  if (rest < 0n || rest >= 2n ** 256n) throw new RangeError(`uint256 out of range: ${value}`)
  for (let i = 31; i >= 0 && rest > 0n; i--) {
    word[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return word
}

/** Two's complement, as int32 and friends are sign-extended to 256 bits. */
export const intWord = (value: bigint | number): Uint8Array =>
  uintWord(BigInt(value) < 0n ? 2n ** 256n + BigInt(value) : value)

export const bytes32Word = (value: Hex32): Uint8Array => fromHex(value)

export function addressWord(value: Address): Uint8Array {
  const word = new Uint8Array(32)
  word.set(fromHex(value), 12)
  return word
}

/** keccak256(abi.encode(...words)). */
export const hashWords = (...words: Uint8Array[]): Hex32 => keccak256(concatBytes(...words))
