import { concatBytes, hexToBytes } from '@noble/hashes/utils.js'
import type { TypedDataField } from 'ethers'
import { addressWord, bytes32Word, uintWord } from '../abiWords.ts'
import { type Address, fromHex, type Hex32, keccak256 } from '../hex.ts'
import { domainSeparator, type Eip712Domain } from './domain.ts'
import { encodeType } from './structs.ts'

/**
 * The EIP-712 digest of a one-struct type whose fields are all atomic or bytes/string, built word
 * by word: ethers' TypedDataEncoder resolves the types and hashes the domain again on every call,
 * ~10x the work, and a validator digests every request, attestation and release it checks (several
 * times each). Anything this does not recognise with certainty (nested structs, arrays, a mixed-case
 * address whose checksum ethers would check, a number in another spelling, a missing or extra
 * field) is answered undefined, and the caller asks ethers, which decides, errors included; so the
 * two can differ in speed only (tested against ethers in flat-digest.test.ts).
 */
export function flatStructDigest(
  domain: Eip712Domain,
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
): Hex32 | undefined {
  const struct = structOf(types)
  if (!struct) return undefined
  const keys = Object.keys(value)
  if (keys.length !== struct.fields.length) return undefined
  const words: Uint8Array[] = [struct.typeHash]
  for (const field of struct.fields) {
    const word = encodeField(field.type, value[field.name])
    if (!word) return undefined
    words.push(word)
  }
  return keccak256(concatBytes(EIP712_PREFIX, separatorOf(domain), fromHex(keccak256(concatBytes(...words)))))
}

const EIP712_PREFIX = Uint8Array.of(0x19, 0x01)
const UINT = /^uint(\d+)$/
const encoder = new TextEncoder()

interface FlatStruct {
  readonly typeHash: Uint8Array
  readonly fields: readonly TypedDataField[]
}

const structs = new WeakMap<Record<string, TypedDataField[]>, FlatStruct | null>()

function structOf(types: Record<string, TypedDataField[]>): FlatStruct | undefined {
  let known = structs.get(types)
  if (known === undefined) {
    const names = Object.keys(types)
    const fields = names.length === 1 ? types[names[0]!]! : []
    const flat = fields.length > 0 && fields.every((f) => supported(f.type))
    known = flat ? { typeHash: bytes32Word(keccak256(encoder.encode(encodeType(types)))), fields } : null
    structs.set(types, known)
  }
  return known ?? undefined
}

function supported(type: string): boolean {
  if (type === 'bytes32' || type === 'address' || type === 'bytes' || type === 'string') return true
  const bits = UINT.exec(type)?.[1]
  return bits !== undefined && Number(bits) % 8 === 0 && Number(bits) >= 8 && Number(bits) <= 256
}

/** One domain per network: its separator is hashed once. */
const separators = new Map<string, Uint8Array>()

function separatorOf(domain: Eip712Domain): Uint8Array {
  const key = `${domain.chainId}:${domain.verifyingContract}`
  let separator = separators.get(key)
  if (!separator) {
    separator = bytes32Word(domainSeparator(domain))
    // A process speaks for a handful of networks; the bound only stops a caller that invents them.
    if (separators.size >= 64) separators.clear()
    separators.set(key, separator)
  }
  return separator
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/
// All lower or all upper: ethers checks the EIP-55 checksum of a mixed-case address only.
const ADDRESS = /^0x([0-9a-f]{40}|[0-9A-F]{40})$/
const EVEN_HEX = /^0x([0-9a-fA-F]{2})*$/
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/

function encodeField(type: string, value: unknown): Uint8Array | undefined {
  switch (type) {
    case 'bytes32':
      return typeof value === 'string' && HEX32.test(value) ? bytes32Word(value as Hex32) : undefined
    case 'address':
      return typeof value === 'string' && ADDRESS.test(value) ? addressWord(value as Address) : undefined
    case 'bytes':
      return typeof value === 'string' && EVEN_HEX.test(value)
        ? fromHex(keccak256(hexToBytes(value.slice(2))))
        : undefined
    case 'string':
      // A lone surrogate: TextEncoder would replace it where ethers refuses it.
      return typeof value === 'string' && value.isWellFormed()
        ? fromHex(keccak256(encoder.encode(value)))
        : undefined
  }
  const bits = BigInt(UINT.exec(type)![1]!)
  let n: bigint
  if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value)
  else if (typeof value === 'bigint') n = value
  else if (typeof value === 'string' && DECIMAL.test(value)) n = BigInt(value)
  else return undefined
  return n >= 0n && n < 1n << bits ? uintWord(n) : undefined
}
