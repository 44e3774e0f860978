import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiServer } from '../../node/api/index.ts'
import {
  type ChainClient,
  type ChainState,
  createAnchorer,
  createChainClient,
  createChainState,
} from '../../node/chain/index.ts'
import { chainPort } from '../../node/daemon.ts'
import { DEFAULT_ESCROW_TERMS } from '../../node/jobs/chain-facts.ts'
import { createLogger } from '../../node/log.ts'
import { TcfNode, type TcfNodeInit } from '../../node/node.ts'
import { createNodeStore, type NodeStore } from '../../node/storage/index.ts'
import { type DevChain, startDevChain, startTestNetwork, type TestNetwork } from '../../protocol/index.ts'
import { DEFAULT_LIMITS } from '../../sandbox/index.ts'

/**
 * One validator's node and API against a real anvil dev chain and a real
 * LevelDB store, without consensus running: what an API client (honest or
 * not) reaches. Everything it starts, `stop` stops.
 */
export interface SingleNode {
  readonly chain: DevChain
  readonly network: TestNetwork
  readonly store: NodeStore
  readonly node: TcfNode
  readonly api: ApiServer
  readonly url: string
  /** the node's home directory */
  readonly home: string
  stop(): Promise<void>
}

export async function startSingleNode(
  options: {
    readonly api?: Partial<ConstructorParameters<typeof ApiServer>[0]>
    readonly node?: Partial<Pick<TcfNodeInit, 'limits' | 'uploads' | 'gcIntervalMs'>>
  } = {},
): Promise<SingleNode> {
  const home = await mkdtemp(join(tmpdir(), 'tcf-single-'))
  const chain = await startDevChain()
  let chainClient: ChainClient | undefined
  let chainState: ChainState | undefined
  try {
    const network = await startTestNetwork(chain, { validators: 1 })
    const logger = createLogger({ level: 'warn' })
    const store = createNodeStore({ dir: join(home, 'db') })
    await store.open()
    chainClient = createChainClient({
      rpcUrl: chain.rpcUrl,
      addresses: network.addresses,
      privateKey: network.validatorKeys[0]!,
      pollMs: 20,
    })
    await chainClient.start()
    chainState = createChainState({ rpcUrl: chain.rpcUrl, addresses: network.addresses })
    const anchorer = createAnchorer({
      chain: chainClient,
      takeoverDelayMs: 0,
      onAnchored: () => undefined,
      onFailed: () => undefined,
    })
    const node = await TcfNode.open({
      home,
      validatorKey: network.validatorKeys[0]!,
      chainInfo: { chainId: Number(chain.chainId), rpcUrl: chain.rpcUrl, addresses: network.addresses },
      store,
      chain: chainPort(chainClient, chainState, anchorer),
      consensusParams: {
        timeouts: {
          propose: { base: 1000, delta: 100 },
          prevote: { base: 1000, delta: 100 },
          precommit: { base: 1000, delta: 100 },
        },
      },
      blockIntervalMs: 100,
      finalityDepth: 0,
      escrowTerms: DEFAULT_ESCROW_TERMS,
      limits: DEFAULT_LIMITS,
      evaluator: { workers: 1, deadlineMs: 60_000, memoryCapBytes: 2 ** 30 },
      logger,
      ...options.node,
    })
    // Every JSON answer is checked against the API contract: drift is a 500 in any test that meets it.
    const api = new ApiServer({
      host: '127.0.0.1',
      port: 0,
      service: node.service,
      logger,
      checkResponses: true,
      ...options.api,
    })
    await api.start()
    const client = chainClient
    const state = chainState
    return {
      chain,
      network,
      store,
      node,
      api,
      url: api.url,
      home,
      async stop() {
        await api.stop()
        await node.stop()
        await anchorer.stop()
        await client.stop()
        state.stop()
        await store.close()
        await chain.stop()
        await rm(home, { recursive: true, force: true })
      },
    }
  } catch (e) {
    await chainClient?.stop()
    chainState?.stop()
    await chain.stop()
    await rm(home, { recursive: true, force: true })
    throw e
  }
}
