import type { TypedDataDomain } from 'ethers'
import { addressWord, bytes32Word, hashWords, uintWord } from '../abiWords.ts'
import { type Address, type Hex32, keccak256 } from '../hex.ts'

export const DOMAIN_NAME = 'tcf'
export const DOMAIN_VERSION = '1'

/**
 * Which network a signature belongs to. verifyingContract is the ValidatorRegistry: both the Anchor
 * (certificates) and the registry (slashing) check votes under it, so one digest serves both.
 */
export interface Eip712Domain {
  readonly chainId: bigint
  readonly verifyingContract: Address
}

const DOMAIN_TYPEHASH = keccak256(
  new TextEncoder().encode(
    'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)',
  ),
)

export const domainSeparator = (domain: Eip712Domain): Hex32 =>
  hashWords(
    bytes32Word(DOMAIN_TYPEHASH),
    bytes32Word(keccak256(new TextEncoder().encode(DOMAIN_NAME))),
    bytes32Word(keccak256(new TextEncoder().encode(DOMAIN_VERSION))),
    uintWord(domain.chainId),
    addressWord(domain.verifyingContract),
  )

export const ethersDomain = (domain: Eip712Domain): TypedDataDomain => ({
  name: DOMAIN_NAME,
  version: DOMAIN_VERSION,
  chainId: domain.chainId,
  verifyingContract: domain.verifyingContract,
})
