import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createEip712ConsensusSigner,
  type DevChain,
  startDevChain,
  startTestNetwork,
  type TestNetwork,
} from '../../protocol/index.ts'
import { hex32Of as hex32 } from '../../protocol/testing/hex32.ts'
import { type ChainClient, type ChainClientInit, createChainClient } from './chain-client.ts'
import { decidedBlock } from './testing/decided.ts'
import { startTcpProxy } from './testing/tcp-proxy.ts'

let chain: DevChain
let network: TestNetwork
const clients: ChainClient[] = []

/** A started client for validator i; stopped after the file. */
async function client(i: number, overrides: Partial<ChainClientInit> = {}): Promise<ChainClient> {
  const c = createChainClient({
    rpcUrl: chain.rpcUrl,
    addresses: network.addresses,
    privateKey: network.validatorKeys[i]!,
    pollMs: 20,
    ...overrides,
  })
  clients.push(c)
  await c.start()
  return c
}

beforeAll(async () => {
  chain = await startDevChain()
  network = await startTestNetwork(chain, { validators: 4 })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()))
  await chain?.stop()
})

describe('reads', () => {
  it('reads the epoch and its validator set, cached once the epoch started', async () => {
    const c = await client(0)
    expect(await c.currentEpoch()).toBe(network.epoch)
    const set = await c.validatorSet(network.epoch)
    expect(set.words).toEqual(network.validatorSet)
    expect(set.members.map((m) => m.address)).toContain(c.address)
    expect(set.totalStake).toBe(4n * 10n ** 18n)
    expect(await c.validatorSet(network.epoch)).toBe(set)
    // A future epoch is empty and must not be cached as such.
    expect((await c.validatorSet(network.epoch + 1)).words).toEqual([])
  })

  it('reads vaults and job escrows', async () => {
    const c = await client(0)
    const seller = network.connect(chain.wallet(1))
    const vaultId = hex32(0xabc)
    const terms = { manifestHash: hex32(1), policyHash: hex32(2), price: 1000n }
    await seller.vaults.register(vaultId, terms)
    expect(await c.vault(vaultId)).toEqual({
      registered: true,
      active: true,
      owner: chain.wallet(1).address.toLowerCase(),
      ...terms,
    })
    expect((await c.vault(hex32(0xdef))).registered).toBe(false)

    const buyer = network.connect(chain.wallet(2))
    const jobId = hex32(0x10b)
    const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
    await buyer.market.openJob(jobId, vaultId, now + 7200n, 1500n)
    expect(await c.job(jobId)).toMatchObject({
      opened: true,
      status: 'open',
      buyer: chain.wallet(2).address.toLowerCase(),
      vaultId,
      escrow: 1500n,
    })
    expect((await c.job(hex32(0x10c))).opened).toBe(false)
  })
})

describe('anchorBlock', () => {
  it('anchors a certified block once; asking again is already-anchored', async () => {
    const c = await client(0)
    const decided = decidedBlock(network, 1)
    const started = performance.now()
    const outcome = await c.anchorBlock(decided)
    const latencyMs = performance.now() - started
    expect(outcome.status).toBe('anchored')
    if (outcome.status !== 'anchored') return
    console.info(`anchor: ${outcome.gasUsed} gas (4 of 4 signers), ${latencyMs.toFixed(0)} ms`)
    expect(outcome.gasUsed).toBeGreaterThan(50_000n)
    expect(outcome.gasUsed).toBeLessThan(120_000n)
    expect(await c.isAnchored(1)).toBe(true)
    expect(await c.anchorTx(1)).toEqual({
      txHash: outcome.txHash,
      blockNumber: outcome.blockNumber,
      epoch: network.epoch,
      signers: 0b1111n,
    })
    expect(await c.anchorBlock(decided)).toEqual({ status: 'already-anchored' })
    expect(await c.anchorTx(2)).toBeUndefined()
  })

  it('finds anchoring transactions by scanning events from the Anchor deployment, not block 0', async () => {
    // A relay that records every JSON-RPC call the client makes.
    const calls: { method: string; params: unknown[] }[] = []
    const relay = createServer(async (request, response) => {
      const chunks: Buffer[] = []
      for await (const chunk of request) chunks.push(chunk as Buffer)
      const body = Buffer.concat(chunks).toString()
      const parsed = JSON.parse(body) as
        | { method: string; params: unknown[] }
        | { method: string; params: unknown[] }[]
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) calls.push(call)
      const upstream = await fetch(chain.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      response.writeHead(upstream.status, { 'content-type': 'application/json' })
      response.end(await upstream.text())
    })
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
    try {
      const c = await client(2, { rpcUrl: `http://127.0.0.1:${(relay.address() as AddressInfo).port}` })
      const deployed = await c.anchorDeployBlock()
      expect(deployed).toBeGreaterThan(0)
      expect(await chain.provider.getCode(network.addresses.anchor, deployed - 1)).toBe('0x')
      expect(await chain.provider.getCode(network.addresses.anchor, deployed)).not.toBe('0x')
      const outcome = await c.anchorBlock(decidedBlock(network, 50))
      expect(outcome.status).toBe('anchored')
      const found = await c.anchorTx(50)
      expect(found?.txHash).toBe(outcome.status === 'anchored' ? outcome.txHash : undefined)
      const scans = calls.filter((call) => call.method === 'eth_getLogs')
      expect(scans.length).toBeGreaterThan(0)
      for (const scan of scans)
        expect(Number((scan.params[0] as { fromBlock: string }).fromBlock)).toBe(deployed)
    } finally {
      await new Promise((resolve) => relay.close(resolve))
    }
  })

  it('accepts a bare quorum and refuses what the Anchor would refuse, with typed errors', async () => {
    const c = await client(1)
    expect((await c.anchorBlock(decidedBlock(network, 2, { signers: [0, 1, 2] }))).status).toBe('anchored')
    await expect(c.anchorBlock(decidedBlock(network, 3, { signers: [0, 1] }))).rejects.toMatchObject({
      code: 'REVERTED',
      reason: 'InsufficientStake',
    })
    await expect(c.anchorBlock(decidedBlock(network, 3, { failed: [] }))).rejects.toMatchObject({
      code: 'NOTHING_TO_ANCHOR',
    })
    const other = decidedBlock(network, 3)
    const mismatched = { header: other.header, certificate: decidedBlock(network, 4).certificate }
    await expect(c.anchorBlock(mismatched)).rejects.toMatchObject({ code: 'CERTIFICATE_MISMATCH' })
    const outsider = Wallet.createRandom()
    const forged = {
      ...other,
      certificate: {
        ...other.certificate,
        precommits: [
          {
            validator: outsider.address.toLowerCase() as `0x${string}`,
            signature: other.certificate.precommits[0]!.signature,
          },
        ],
      },
    }
    await expect(c.anchorBlock(forged)).rejects.toMatchObject({ code: 'SIGNER_NOT_IN_SET' })
    expect(await c.isAnchored(3)).toBe(false)
  })

  it('sends concurrent anchors from one key with consecutive nonces', async () => {
    const c = await client(2)
    const heights = [10, 11, 12, 13, 14, 15]
    const outcomes = await Promise.all(heights.map((h) => c.anchorBlock(decidedBlock(network, h))))
    const hashes = outcomes.map((o) => (o.status === 'anchored' ? o.txHash : ''))
    expect(hashes.every((h) => h !== '')).toBe(true)
    const nonces = await Promise.all(hashes.map(async (h) => (await chain.provider.getTransaction(h))!.nonce))
    expect([...nonces].sort((a, b) => a - b)).toEqual(nonces.map((_, i) => Math.min(...nonces) + i))
  })

  it('lets exactly one of two racing validators anchor a height', async () => {
    const [a, b] = [await client(0), await client(3)]
    const decided = decidedBlock(network, 20)
    const outcomes = await Promise.all([a.anchorBlock(decided), b.anchorBlock(decided)])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['already-anchored', 'anchored'])
  })

  it('rides out an RPC endpoint that goes away and comes back', async () => {
    const proxy = await startTcpProxy(Number(new URL(chain.rpcUrl).port))
    try {
      await proxy.cut()
      // Started while the endpoint is down: start() waits for it.
      const starting = client(1, {
        rpcUrl: proxy.url,
        retry: { attempts: 20, baseDelayMs: 50, maxDelayMs: 200 },
      })
      await new Promise((resolve) => setTimeout(resolve, 500))
      await proxy.restore()
      const c = await starting
      await proxy.cut()
      const anchoring = c.anchorBlock(decidedBlock(network, 30))
      await new Promise((resolve) => setTimeout(resolve, 600))
      await proxy.restore()
      expect((await anchoring).status).toBe('anchored')
    } finally {
      await proxy.close()
    }
  })

  it('gives up with RPC_UNAVAILABLE when the endpoint stays away', async () => {
    const proxy = await startTcpProxy(Number(new URL(chain.rpcUrl).port))
    try {
      const c = await client(1, {
        rpcUrl: proxy.url,
        retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 },
      })
      await proxy.cut()
      await expect(c.anchorBlock(decidedBlock(network, 31))).rejects.toMatchObject({
        code: 'RPC_UNAVAILABLE',
      })
    } finally {
      await proxy.close()
    }
  })

  it('re-sends a stuck transaction with higher fees under the same nonce', async () => {
    const c = await client(3, { stuckAfterMs: 200 })
    await chain.provider.send('evm_setAutomine', [false])
    try {
      const anchoring = c.anchorBlock(decidedBlock(network, 40))
      // Let the first version sit in the pool past stuckAfterMs, so at least one replacement is sent.
      await new Promise((resolve) => setTimeout(resolve, 700))
      await chain.provider.send('evm_mine', [])
      const outcome = await anchoring
      expect(outcome.status).toBe('anchored')
      if (outcome.status !== 'anchored') return
      const mined = (await chain.provider.getTransaction(outcome.txHash))!
      const fees = await chain.provider.getFeeData()
      expect(mined.maxFeePerGas!).toBeGreaterThan(fees.maxFeePerGas!)
    } finally {
      await chain.provider.send('evm_setAutomine', [true])
    }
  })
})

describe('slashing', () => {
  it('slashes an equivocator once; a concurrent or later report is already-slashed, not an error', async () => {
    const [a, b] = await Promise.all([client(0), client(1)])
    const signer = createEip712ConsensusSigner({
      privateKey: network.validatorKeys[3]!,
      domain: network.domain,
      epoch: network.epoch,
    })
    const vote = (valueId: `0x${string}` | null) =>
      signer.signVote({ type: 'prevote', height: 9, round: 0, valueId, validator: signer.address })
    const evidence = { version: 1 as const, epoch: network.epoch, first: vote(hex32(1)), second: vote(null) }
    const outcomes = await Promise.all([a.slashDuplicateVote(evidence), b.slashDuplicateVote(evidence)])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['already-slashed', 'slashed'])
    const registry = network.connect(chain.wallet(0)).validators
    expect((await registry.validator(signer.address)).stake).toBe(0n)
    expect(await a.slashDuplicateVote(evidence)).toEqual({ status: 'already-slashed' })
  })

  it('refuses votes that do not conflict, naming the contract error', async () => {
    const c = await client(0)
    const signer = createEip712ConsensusSigner({
      privateKey: network.validatorKeys[2]!,
      domain: network.domain,
      epoch: network.epoch,
    })
    const same = signer.signVote({
      type: 'prevote',
      height: 9,
      round: 0,
      valueId: hex32(7),
      validator: signer.address,
    })
    await expect(
      c.slashDuplicateVote({ version: 1, epoch: network.epoch, first: same, second: same }),
    ).rejects.toMatchObject({ code: 'REVERTED', reason: 'VotesDoNotConflict' })
  })
})
