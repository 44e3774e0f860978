import { ContractFactory, type Signer } from 'ethers'
import type { Address } from '../hex.ts'
import { loadArtifact } from './artifacts.ts'
import type { ContractName } from './compile.ts'

export interface DeployParameters {
  /** Least stake to register, in wei. */
  readonly minStake: bigint
  /** Seconds between beginUnbonding and withdraw. */
  readonly unbondingPeriod: bigint
  /** Least seconds between epochs; 0 lets a current validator start the next epoch at any time. */
  readonly epochPeriod: bigint
  /** Seconds after an epoch change during which the Anchor still takes the previous epoch's certificates. */
  readonly anchorGracePeriod: bigint
  /** Vault owner's share of a paid escrow in basis points; validators split the rest. */
  readonly ownerShareBps: bigint
  /** Least seconds between opening a job and its expiry. */
  readonly minJobDuration: bigint
  /** Seconds after a job's expiry during which only a proof, not refundExpired, can close it. */
  readonly settlementGrace: bigint
}

export const DEVNET_PARAMETERS: DeployParameters = {
  minStake: 10n ** 18n,
  unbondingPeriod: 7n * 24n * 3600n,
  epochPeriod: 0n,
  anchorGracePeriod: 3600n,
  ownerShareBps: 8000n,
  minJobDuration: 3600n,
  settlementGrace: 3600n,
}

export interface ContractAddresses {
  readonly validatorRegistry: Address
  readonly vaultRegistry: Address
  readonly anchor: Address
  readonly jobMarket: Address
}

async function deploy(name: ContractName, signer: Signer, args: unknown[]): Promise<Address> {
  const { abi, bytecode } = loadArtifact(name)
  const contract = await new ContractFactory(abi, bytecode, signer).deploy(...args)
  await contract.waitForDeployment()
  return (await contract.getAddress()).toLowerCase() as Address
}

/** Deploys the four contracts wired together. The registry's address is the network's EIP-712 verifyingContract. */
export async function deployAll(
  signer: Signer,
  parameters: Partial<DeployParameters> = {},
): Promise<ContractAddresses> {
  const p = { ...DEVNET_PARAMETERS, ...parameters }
  const validatorRegistry = await deploy('ValidatorRegistry', signer, [
    p.minStake,
    p.unbondingPeriod,
    p.epochPeriod,
    p.anchorGracePeriod,
  ])
  const vaultRegistry = await deploy('VaultRegistry', signer, [])
  const anchor = await deploy('Anchor', signer, [validatorRegistry])
  const jobMarket = await deploy('JobMarket', signer, [
    anchor,
    vaultRegistry,
    validatorRegistry,
    p.ownerShareBps,
    p.minJobDuration,
    p.settlementGrace,
  ])
  return { validatorRegistry, vaultRegistry, anchor, jobMarket }
}
