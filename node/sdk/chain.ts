import { type JsonRpcProvider, Network, type Wallet } from 'ethers'
import {
  type Address,
  connectAnchor,
  connectJobMarket,
  connectValidatorRegistry,
  connectVaultRegistry,
  type Eip712Domain,
  type Hex32,
} from '../../protocol/index.ts'
import { EngineWallet } from './engine-wallet.ts'
import { ClientError } from './errors.ts'
import { sdkTransport } from './transport.ts'
import type { ChainInfo } from './types.ts'

/**
 * How often a transaction's wait looks for its receipt once the first look found none (ethers'
 * default is 4 s). A chain that mines on arrival has the receipt a moment after the send returns,
 * and a wait that asked in that moment slept 4 s: a buyer's submissions, one after another, all
 * behind it. The daemon's own transactions poll at 500 ms too (node/chain/chain-client.ts).
 */
export const RECEIPT_POLL_MS = 500

/** The chain a node reports, connected: typed contract clients and the EIP-712 domain it signs under. */
export interface ChainContext {
  readonly info: ChainInfo
  readonly provider: JsonRpcProvider
  /** the caller's account, when the client has a key */
  readonly wallet: Wallet | undefined
  readonly domain: Eip712Domain
  readonly vaults: ReturnType<typeof connectVaultRegistry>
  readonly market: ReturnType<typeof connectJobMarket>
  readonly validators: ReturnType<typeof connectValidatorRegistry>
  readonly anchor: ReturnType<typeof connectAnchor>
}

export function connectChain(info: ChainInfo, key: Hex32 | undefined, rpcUrl = info.rpcUrl): ChainContext {
  // A static network: the node already told us the chain id, so ethers need not probe for it. No
  // response cache: a transaction count read 250 ms ago is a stale nonce for the next transaction.
  const provider = sdkTransport().provider(rpcUrl, Network.from(info.chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: RECEIPT_POLL_MS,
  })
  const wallet = key ? new EngineWallet(key, provider) : undefined
  const runner = wallet ?? provider
  return {
    info,
    provider,
    wallet,
    domain: { chainId: BigInt(info.chainId), verifyingContract: info.addresses.validatorRegistry as Address },
    vaults: connectVaultRegistry(info.addresses.vaultRegistry, runner),
    market: connectJobMarket(info.addresses.jobMarket, runner),
    validators: connectValidatorRegistry(info.addresses.validatorRegistry, runner),
    anchor: connectAnchor(info.addresses.anchor, runner),
  }
}

/** Runs a chain call, surfacing reverts and RPC failures as CHAIN_TX_FAILED with what was attempted. */
export async function onChain<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (cause) {
    const reason = (cause as { reason?: unknown }).reason
    throw new ClientError(
      'CHAIN_TX_FAILED',
      `${what}: ${typeof reason === 'string' ? reason : cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
}
