import { type Signer, Wallet } from 'ethers'
import { connectAnchor } from '../chain/anchor.ts'
import { type ContractAddresses, type DeployParameters, deployAll } from '../chain/deploy.ts'
import { connectJobMarket } from '../chain/jobMarket.ts'
import { connectValidatorRegistry } from '../chain/validatorRegistry.ts'
import { connectVaultRegistry } from '../chain/vaultRegistry.ts'
import { createEip712ConsensusSigner } from '../eip712/consensusSigner.ts'
import type { Eip712Domain } from '../eip712/domain.ts'
import type { Hex32 } from '../hex.ts'
import { generatePrivateKey } from '../keys/keystore.ts'
import type { ValidatorSignature } from '../messages/attestation.ts'
import { type BlockHeader, headerHash } from '../messages/block.ts'
import type { DevChain } from './devChain.ts'

export interface TestNetwork {
  readonly addresses: ContractAddresses
  readonly domain: Eip712Domain
  readonly epoch: number
  readonly validatorKeys: readonly Hex32[]
  /** The epoch's packed validator set, as the Anchor takes it. */
  readonly validatorSet: readonly bigint[]
  /** Precommits for a header by the given validators (all by default), signed under `epoch`. */
  precommit(header: BlockHeader, round: number, keys?: readonly Hex32[], epoch?: number): ValidatorSignature[]
  connect(signer: Signer): ReturnType<typeof clients>
}

const clients = (addresses: ContractAddresses, signer: Signer) => ({
  validators: connectValidatorRegistry(addresses.validatorRegistry, signer),
  vaults: connectVaultRegistry(addresses.vaultRegistry, signer),
  anchor: connectAnchor(addresses.anchor, signer),
  market: connectJobMarket(addresses.jobMarket, signer),
})

/**
 * Deploys the contracts with dev account 0 and registers `validators` fresh keys with equal stake,
 * then starts epoch 1. Used by the contract tests, the gas bench and the devnet.
 */
export async function startTestNetwork(
  chain: DevChain,
  options: { validators: number; stake?: bigint; parameters?: Partial<DeployParameters> },
): Promise<TestNetwork> {
  const deployer = chain.wallet(0)
  const stake = options.stake ?? 10n ** 18n
  const addresses = await deployAll(deployer, { minStake: stake, ...options.parameters })
  const validatorKeys = Array.from({ length: options.validators }, generatePrivateKey)
  for (const key of validatorKeys) {
    const wallet = new Wallet(key, chain.provider)
    await (await deployer.sendTransaction({ to: wallet.address, value: stake + 10n ** 17n })).wait()
    await clients(addresses, wallet).validators.register(stake)
  }
  const registry = clients(addresses, deployer).validators
  await registry.advanceEpoch()
  const epoch = await registry.currentEpoch()
  const domain: Eip712Domain = { chainId: chain.chainId, verifyingContract: addresses.validatorRegistry }
  return {
    addresses,
    domain,
    epoch,
    validatorKeys,
    validatorSet: await registry.epochSetWords(epoch),
    precommit: (header, round, keys = validatorKeys, signingEpoch = epoch) =>
      keys.map((privateKey) => {
        const signer = createEip712ConsensusSigner({ privateKey, domain, epoch: signingEpoch })
        const { signature } = signer.signVote({
          type: 'precommit',
          height: header.height,
          round,
          valueId: headerHash(header),
          validator: signer.address,
        })
        return { validator: signer.address, signature }
      }),
    connect: (signer) => clients(addresses, signer),
  }
}
