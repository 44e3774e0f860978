import { randomBytes } from 'node:crypto'
import { ValidatorSet } from '../../../consensus/index.ts'
import {
  addressOfPrivateKey,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
} from '../../../protocol/index.ts'
import { DEFAULT_LIMITS, type VaultManifest } from '../../../sandbox/index.ts'
import type { BlockFrame } from '../block.ts'
import { type ChainFacts, DEFAULT_ESCROW_TERMS } from '../chain-facts.ts'
import type { Ledger } from '../ledger.ts'
import type { RuleContext } from '../rules.ts'

/**
 * The network a block or rule test judges in: the dev chain's EIP-712 domain, four validators of
 * equal power and a buyer, with fresh keys per test file so no test leans on another's signatures.
 */
export interface TestValidators {
  readonly domain: Eip712Domain
  readonly validatorKeys: readonly Hex32[]
  readonly validators: ValidatorSet
  readonly buyerKey: Hex32
}

export const TEST_DOMAIN: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }

export function testValidators(): TestValidators {
  const validatorKeys = Array.from({ length: 4 }, generatePrivateKey)
  return {
    domain: TEST_DOMAIN,
    validatorKeys,
    validators: new ValidatorSet(validatorKeys.map((k) => ({ address: addressOfPrivateKey(k), power: 1 }))),
    buyerKey: generatePrivateKey(),
  }
}

export const randomHex32 = (): Hex32 => `0x${randomBytes(32).toString('hex')}` as Hex32

/** The rules' view at `height`, knowing only `vault`, with the default escrow terms and compile limits. */
export function ruleContext(
  net: TestValidators,
  ledger: Ledger,
  height: number,
  vault: VaultManifest,
  chain: ChainFacts,
): RuleContext {
  return {
    height,
    validators: net.validators,
    ledger,
    domain: net.domain,
    manifest: (id) => (id === vault.vaultId ? vault : undefined),
    chain,
    escrowTerms: DEFAULT_ESCROW_TERMS,
    limits: DEFAULT_LIMITS,
  }
}

/** The frame of the block after the ledger's head (or at `height`), in epoch 1 on chain block 0. */
export const blockFrame = (ledger: Ledger, height = ledger.height + 1): BlockFrame => ({
  height,
  epoch: 1,
  parentHash: ledger.headHash,
  chainBlock: 0,
})
