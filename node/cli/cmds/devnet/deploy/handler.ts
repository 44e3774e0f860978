import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { JsonRpcProvider, Wallet } from 'ethers'
import { DEV_PRIVATE_KEYS, type DevChain, startTestNetwork } from '../../../../../protocol/index.ts'
import { generatePeerKey, peerIdOf } from '../../../../p2p/index.ts'
import type { DeployArgs } from './options.ts'

/**
 * The compose devnet's deploy step: contracts deployed with the chain's first
 * dev account, fresh validator keys registered with stake and the epoch
 * started, and for each validator the files its container starts from. The
 * keys are written in the clear: this is a throwaway dev network.
 */
export async function deployHandler(args: DeployArgs): Promise<void> {
  // No response cache: each deployment reads the account's next nonce afresh.
  const provider = new JsonRpcProvider(args.rpcUrl, undefined, { cacheTimeout: -1 })
  const { chainId } = await provider.getNetwork()
  const chain: DevChain = {
    rpcUrl: args.rpcUrl,
    chainId,
    provider,
    wallet: (index) => new Wallet(DEV_PRIVATE_KEYS[index]!, provider),
    stop: async () => provider.destroy(),
  }
  try {
    const network = await startTestNetwork(chain, { validators: args.validators })
    await mkdir(args.out, { recursive: true })
    await writeFile(join(args.out, 'addresses.json'), `${JSON.stringify(network.addresses, null, 2)}\n`)
    const peerKeys = network.validatorKeys.map(() => generatePeerKey())
    const address = (j: number) =>
      `/dns4/${args.peerHost.replaceAll('{i}', String(j))}/tcp/${args.p2pBasePort + j}/p2p/${peerIdOf(peerKeys[j]!)}`
    for (const [i, key] of network.validatorKeys.entries()) {
      const dir = join(args.out, `validator-${i}`)
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, 'validator.key'), `${key}\n`, { mode: 0o600 })
      await writeFile(join(dir, 'peer.key'), peerKeys[i]!, { mode: 0o600 })
      const others = peerKeys.map((_, j) => j).filter((j) => j !== i)
      await writeFile(join(dir, 'bootstrap'), others.map(address).join(','))
    }
    if (args.json) {
      console.log(
        JSON.stringify({
          chainId: Number(chainId),
          epoch: network.epoch,
          addresses: network.addresses,
          validators: args.validators,
        }),
      )
    } else {
      console.log(
        `deployed to chain ${chainId}; ${args.validators} validators staked, epoch ${network.epoch}; files in ${args.out}`,
      )
    }
  } finally {
    await chain.stop()
  }
}
