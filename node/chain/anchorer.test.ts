import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevChain, startDevChain, startTestNetwork, type TestNetwork } from '../../protocol/index.ts'
import { type AnchoredEvent, type Anchorer, createAnchorer, takeoverRank } from './anchorer.ts'
import { type AnchorRequest, type ChainClient, createChainClient } from './chain-client.ts'
import { ChainError } from './errors.ts'
import { decidedBlock } from './testing/decided.ts'

let chain: DevChain
let network: TestNetwork
const clients: ChainClient[] = []
const anchorers: Anchorer[] = []

beforeAll(async () => {
  chain = await startDevChain()
  network = await startTestNetwork(chain, { validators: 4 })
})
afterAll(async () => {
  await Promise.all(anchorers.map((a) => a.stop()))
  await Promise.all(clients.map((c) => c.stop()))
  await chain?.stop()
})

/** An anchorer for validator i that collects its events. */
async function anchorerFor(i: number, takeoverDelayMs: number) {
  const client = createChainClient({
    rpcUrl: chain.rpcUrl,
    addresses: network.addresses,
    privateKey: network.validatorKeys[i]!,
    pollMs: 20,
  })
  clients.push(client)
  await client.start()
  const events: AnchoredEvent[] = []
  const anchorer = createAnchorer({ chain: client, takeoverDelayMs, onAnchored: (e) => events.push(e) })
  anchorers.push(anchorer)
  return { client, anchorer, events }
}

async function until(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const anchoredLogs = async (height: number) => {
  const anchor = network.connect(chain.wallet(0)).anchor.contract
  return anchor.queryFilter(anchor.filters.Anchored!(height), 0)
}

describe('Anchorer on a real chain', () => {
  it('the proposer anchors at once; the other validator finds it anchored and sends nothing', async () => {
    const proposer = await anchorerFor(0, 400)
    const other = await anchorerFor(1, 400)
    const decided = decidedBlock(network, 1, { proposer: 0 })
    const nonceBefore = await chain.provider.getTransactionCount(other.client.address)
    proposer.anchorer.submit(decided)
    other.anchorer.submit(decided)
    await until(() => proposer.events.length === 1 && other.events.length === 1)
    expect(proposer.events[0]).toMatchObject({ height: 1, byUs: true })
    expect(other.events[0]).toEqual({ height: 1, txHash: proposer.events[0]!.txHash, byUs: false })
    expect(await chain.provider.getTransactionCount(other.client.address)).toBe(nonceBefore)
    expect(await anchoredLogs(1)).toHaveLength(1)
    expect(other.anchorer.state(1)).toMatchObject({ status: 'anchored' })
  })

  it('takes over from a silent proposer after the delay, one validator at a time', async () => {
    const second = await anchorerFor(1, 500)
    const third = await anchorerFor(3, 500)
    // Validator 2 proposed and is silent. The next in address order takes over first.
    const decided = decidedBlock(network, 2, { proposer: 2 })
    const started = Date.now()
    second.anchorer.submit(decided)
    third.anchorer.submit(decided)
    await until(() => second.events.length === 1 && third.events.length === 1)
    const byUs = [...second.events, ...third.events].filter((e) => e.byUs)
    expect(byUs).toHaveLength(1)
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
    expect(await anchoredLogs(2)).toHaveLength(1)
  })

  it('does not anchor a block without outcomes', async () => {
    const { anchorer } = await anchorerFor(0, 100)
    anchorer.submit(decidedBlock(network, 3, { failed: [] }))
    expect(anchorer.state(3)).toEqual({ status: 'nothing-to-anchor' })
  })
})

describe('Anchorer policy', () => {
  const fakeDecided = (proposer: string, signers: string[]): AnchorRequest =>
    ({
      header: { height: 7, proposer, resultsRoot: `0x${'11'.repeat(32)}` },
      certificate: { precommits: signers.map((validator) => ({ validator })) },
    }) as unknown as AnchorRequest

  it('ranks the proposer first and the other signers in address order, non-signers last', () => {
    const decided = fakeDecided('0xbb', ['0xcc', '0xaa', '0xbb'])
    expect(['0xbb', '0xaa', '0xcc', '0xdd'].map((v) => takeoverRank(decided, v as `0x${string}`))).toEqual([
      0, 1, 2, 3,
    ])
  })

  it('retries transient failures and reports a final one', async () => {
    let attempts = 0
    const failed: string[] = []
    const events: AnchoredEvent[] = []
    const anchorer = createAnchorer({
      chain: {
        address: '0xaa',
        anchorBlock: async ({ header }) => {
          if (header.height === 7 && ++attempts < 3) throw new ChainError('RPC_UNAVAILABLE', 'down')
          if (header.height === 8) throw new ChainError('REVERTED', 'stale', { reason: 'StaleEpoch' })
          return { status: 'anchored', txHash: `0x${'01'.repeat(32)}`, gasUsed: 1n, blockNumber: 1 }
        },
        anchorTx: async () => undefined,
        isAnchored: async () => false,
      },
      retryDelayMs: 10,
      onAnchored: (e) => events.push(e),
      onFailed: (_, error) => failed.push((error as ChainError).code),
    })
    anchorer.submit(fakeDecided('0xaa', []))
    const stale = fakeDecided('0xaa', [])
    anchorer.submit({ ...stale, header: { ...stale.header, height: 8 } })
    await until(() => events.length === 1 && failed.length === 1)
    expect(attempts).toBe(3)
    expect(failed).toEqual(['REVERTED'])
    expect(anchorer.state(8)).toMatchObject({ status: 'failed' })
    await anchorer.stop()
  })
})
