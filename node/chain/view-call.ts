import { id, type JsonRpcProvider, toQuantity } from 'ethers'
import type { Address, Hex32 } from '../../protocol/index.ts'
import { ChainError } from './errors.ts'

/**
 * A public mapping getter of one bytes32 key (`jobs(bytes32)`, `vaults(bytes32)`, `isPool(bytes32)`)
 * read with a raw eth_call, its answer read word by word. Through an ethers Contract each read
 * resolved the fragment, hashed its selector, populated and copied the call, asked for the network
 * and decoded into a Result: ~6% of a validator's main thread in a burst, where every request is
 * checked against its escrow and vault at the chain's latest block.
 */
export class ViewCall {
  readonly #to: string
  readonly #selector: string
  readonly #what: string

  constructor(to: string, signature: string) {
    this.#to = to
    this.#selector = id(signature).slice(0, 10)
    this.#what = signature
  }

  /** The first `count` words the getter returns for `key` at block `number` (or the latest block). */
  async words(
    provider: JsonRpcProvider,
    key: Hex32,
    number: number | 'latest',
    count: number,
  ): Promise<AbiWords> {
    const data = `${this.#selector}${key.slice(2)}`
    const tag = number === 'latest' ? 'latest' : toQuantity(number)
    const result: unknown = await provider.send('eth_call', [{ to: this.#to, data }, tag])
    return new AbiWords(result, count, this.#what)
  }
}

const HEX = /^0x[0-9a-fA-F]*$/

/** Static words of an ABI-encoded answer, decoded as ethers' coders decode them. */
export class AbiWords {
  readonly #words: bigint[]
  readonly #what: string

  constructor(data: unknown, count: number, what: string) {
    this.#what = what
    // Extra data after the words is ignored, as ethers ignores it; too little is refused.
    if (typeof data !== 'string' || !HEX.test(data) || data.length < 2 + 64 * count)
      throw new ChainError('ABI_MISMATCH', `${what}: the answer holds fewer than ${count} words`)
    this.#words = Array.from({ length: count }, (_, i) => BigInt(`0x${data.slice(2 + 64 * i, 66 + 64 * i)}`))
  }

  /** An address word, lowercase: refused when anything is set above its 160 bits. */
  address(i: number): Address {
    const word = this.#word(i)
    if (word >> 160n !== 0n)
      throw new ChainError('ABI_MISMATCH', `${this.#what}: word ${i} is not an address`)
    return `0x${word.toString(16).padStart(40, '0')}`
  }

  /** A uintN word, masked to N bits. */
  uint(i: number, bits: number): bigint {
    return this.#word(i) & ((1n << BigInt(bits)) - 1n)
  }

  /** A bool word: any bit set is true. */
  bool(i: number): boolean {
    return this.#word(i) !== 0n
  }

  bytes32(i: number): Hex32 {
    return `0x${this.#word(i).toString(16).padStart(64, '0')}`
  }

  #word(i: number): bigint {
    const word = this.#words[i]
    if (word === undefined) throw new ChainError('ABI_MISMATCH', `${this.#what}: no word ${i} was read`)
    return word
  }
}

/**
 * JobMarket.jobs(jobId) as ethers decodes it, in declaration order: buyer, expiresAt (uint64),
 * status (an enum: uint8), minQuality (uint24), vaultId, escrow. Six words.
 */
export const jobWords = (w: AbiWords) =>
  [w.address(0), w.uint(1, 64), w.uint(2, 8), w.uint(3, 24), w.bytes32(4), w.uint(5, 256)] as const

/** VaultRegistry.vaults(vaultId): owner, active, manifestHash, policyHash, price. Five words. */
export const vaultWords = (w: AbiWords) =>
  [w.address(0), w.bool(1), w.bytes32(2), w.bytes32(3), w.uint(4, 256)] as const
