import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generatePeerKey, initHome, peerIdOf } from '../../node/index.ts'
import { type DevChain, startDevChain, startTestNetwork, type TestNetwork } from '../../protocol/index.ts'
import { CHAIN_INTERVAL_MS, CLUSTER_PASSPHRASE, ClusterNode, DEVNET_PACE } from '../cluster.ts'
import { apiPort, CHAIN_RPC_PORT, p2pPort } from '../topology.ts'
import { BRIDGE_ADDRESS, NetnsLab, namespaceAddress } from './lab.ts'
import { type LinkConditions, Relay } from './relay.ts'
import { ChaosValidator } from './validator.ts'

/** Relay ports on the bridge: validator i reaches validator j at 9000 + 10 i + j. */
const relayPort = (from: number, to: number): number => 9000 + 10 * from + to

export interface ChaosNetwork {
  readonly chain: DevChain
  readonly network: TestNetwork
  readonly lab: NetnsLab
  readonly validators: readonly ChaosValidator[]
  /** the conditions of every validator-to-validator link; change them in place */
  readonly conditions: LinkConditions
  stop(): Promise<void>
}

/**
 * An anvil dev chain with the contracts and `count` staked validators, and one
 * daemon per validator in its own namespace. Validators reach each other only
 * through relays on the bridge (so their links can be impaired) and the chain
 * through one more relay, since the chain listens on the root namespace's loopback.
 */
export async function startChaosNetwork(dir: string, count: number): Promise<ChaosNetwork> {
  const cleanup: Array<() => Promise<void>> = []
  const stop = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined)
    cleanup.length = 0
  }
  try {
    await mkdir(dir, { recursive: true })
    const lab = await NetnsLab.create(count)
    cleanup.push(() => lab.teardown())
    const chain = await startDevChain({ intervalMiningMs: CHAIN_INTERVAL_MS })
    cleanup.push(() => chain.stop())
    const network = await startTestNetwork(chain, { validators: count })
    const relays: Relay[] = []
    cleanup.push(async () => {
      await Promise.all(relays.map((r) => r.close()))
    })
    relays.push(
      await Relay.listen(
        { host: BRIDGE_ADDRESS, port: CHAIN_RPC_PORT },
        { host: '127.0.0.1', port: Number(new URL(chain.rpcUrl).port) },
        { delayMs: 0, lossPercent: 0 },
      ),
    )
    const conditions: LinkConditions = { delayMs: 0, lossPercent: 0 }
    const peerKeys = network.validatorKeys.map(() => generatePeerKey())
    const others = (i: number) => peerKeys.map((_, j) => j).filter((j) => j !== i)
    for (let i = 0; i < count; i++) {
      for (const j of others(i)) {
        relays.push(
          await Relay.listen(
            { host: BRIDGE_ADDRESS, port: relayPort(i, j) },
            { host: namespaceAddress(j), port: p2pPort(j) },
            conditions,
          ),
        )
      }
    }
    const passphraseFile = join(dir, 'passphrase')
    await writeFile(passphraseFile, CLUSTER_PASSPHRASE, { mode: 0o600 })
    const validators: ChaosValidator[] = []
    cleanup.push(async () => {
      await Promise.all(validators.map((v) => v.kill('SIGKILL')))
    })
    for (let i = 0; i < count; i++) {
      const home = join(dir, `node${i}`)
      const host = namespaceAddress(i)
      const initialized = await initHome({
        home,
        passphrase: CLUSTER_PASSPHRASE,
        validatorKey: network.validatorKeys[i]!,
        peerKey: peerKeys[i]!,
        scryptN: 1024,
        config: {
          chain: {
            rpcUrl: `http://${BRIDGE_ADDRESS}:${CHAIN_RPC_PORT}`,
            chainId: Number(chain.chainId),
            addresses: network.addresses,
          },
          p2p: {
            listen: [`/ip4/${host}/tcp/${p2pPort(i)}`],
            bootstrap: others(i).map(
              (j) => `/ip4/${BRIDGE_ADDRESS}/tcp/${relayPort(i, j)}/p2p/${peerIdOf(peerKeys[j]!)}`,
            ),
          },
          api: { host, port: apiPort(i) },
          // The process devnet's pace, so that results compare with it.
          ...DEVNET_PACE,
        },
      })
      const api = new ClusterNode({
        index: i,
        home,
        address: initialized.address,
        peerId: initialized.peerId,
        apiUrl: `http://${host}:${apiPort(i)}`,
        env: {},
        passphraseFile,
      })
      validators.push(new ChaosValidator(api, lab.exec(i), passphraseFile))
    }
    await Promise.all(validators.map((v) => v.start()))
    return { chain, network, lab, validators, conditions, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
