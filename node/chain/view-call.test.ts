import { randomBytes } from 'node:crypto'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ContractRunner, hexlify, type Interface } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  connectJobMarket,
  connectVaultRegistry,
  type DevChain,
  startDevChain,
  startTestNetwork,
  type TestNetwork,
} from '../../protocol/index.ts'
import { hex32Of as hex32 } from '../../protocol/testing/hex32.ts'
import { createChainState } from './chain-state.ts'
import { AbiWords, jobWords, vaultWords } from './view-call.ts'

const word = (hex: string) => hex.slice(2).padStart(64, '0')

/** A JSON-RPC relay to `target` that records the methods it forwards, batches included. */
async function countingRelay(target: string) {
  const calls: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const parsed = JSON.parse(body.toString()) as { method: string } | { method: string }[]
      // The provider asks for the chain id once, when it first connects: not a read.
      for (const { method } of Array.isArray(parsed) ? parsed : [parsed])
        if (method !== 'eth_chainId') calls.push(method)
      const headers = { 'content-type': 'application/json' }
      const upstream = httpRequest(target, { method: 'POST', headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, headers)
        up.pipe(res)
      })
      upstream.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Words of every kind a hostile or broken node could answer: zero, small, high bits set, all ones. */
function hostileWord(i: number): string {
  const kinds = [
    () => '0'.repeat(64),
    () => '1'.padStart(64, '0'),
    () => word(hexlify(randomBytes(20))),
    () => word(hexlify(randomBytes(32))),
    () => 'f'.repeat(64),
    () => `${'0'.repeat(56)}${hexlify(randomBytes(4)).slice(2)}`,
  ]
  return kinds[i % kinds.length]!()
}

/** What ethers decodes from `data`, lowercased, or the fact that it refused. */
function byEthers(iface: Interface, fn: string, data: string): unknown {
  try {
    return [...iface.decodeFunctionResult(fn, data)].map((v) => (typeof v === 'string' ? v.toLowerCase() : v))
  } catch {
    return 'refused'
  }
}

function byWords(count: number, data: string, read: (w: AbiWords) => unknown[]): unknown {
  try {
    return read(new AbiWords(data, count, 'test'))
  } catch {
    return 'refused'
  }
}

describe('AbiWords', () => {
  // Interfaces only: no call is made through these contracts.
  const market = connectJobMarket(hex32(1).slice(0, 42), null as unknown as ContractRunner).contract.interface
  const registry = connectVaultRegistry(hex32(2).slice(0, 42), null as unknown as ContractRunner).contract
    .interface

  it('decodes jobs, vaults and isPool answers exactly as ethers does, and refuses what it refuses', () => {
    for (let i = 0; i < 300; i++) {
      const words = Array.from({ length: 6 }, (_, k) => hostileWord(i + k * 7 + Math.floor(i / 6)))
      const data = `0x${words.join('')}`
      expect(byWords(6, data, (w) => [...jobWords(w)])).toEqual(byEthers(market, 'jobs', data))
      expect(byWords(5, data, (w) => [...vaultWords(w)])).toEqual(byEthers(registry, 'vaults', data))
      expect(byWords(1, data, (w) => [w.bool(0)])).toEqual(byEthers(registry, 'isPool', data))
    }
    // Too short, empty (no code at the address), not hex: refused by both.
    for (const data of ['0x', `0x${'00'.repeat(100)}`, `0x${'zz'.repeat(192)}`]) {
      expect(byWords(6, data, (w) => [w.uint(0, 8)])).toBe('refused')
      expect(byEthers(market, 'jobs', data)).toBe('refused')
    }
  })
})

describe('chain state reads through raw calls', () => {
  let chain: DevChain
  let network: TestNetwork
  beforeAll(async () => {
    chain = await startDevChain()
    network = await startTestNetwork(chain, { validators: 1 })
  })
  afterAll(async () => {
    await chain?.stop()
  })

  it('gives the escrows and vaults an ethers contract reads, at each block', async () => {
    const seller = network.connect(chain.wallet(1))
    const vaultId = hex32(0xabc)
    await seller.vaults.register(vaultId, { manifestHash: hex32(1), policyHash: hex32(2), price: 1000n })
    const buyer = network.connect(chain.wallet(2))
    const jobId = hex32(0x10b)
    const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
    await buyer.market.openJob(jobId, vaultId, now + 7200n, 1500n, 250_000)
    const number = await chain.provider.getBlockNumber()
    const state = createChainState({ rpcUrl: chain.rpcUrl, addresses: network.addresses })
    try {
      const facts = await state.factsAt(number, {
        jobs: [jobId, hex32(0xdead)],
        vaults: [vaultId, hex32(0xfee)],
      })
      expect(facts.escrow(jobId)).toEqual({
        status: 'open',
        buyer: chain.wallet(2).address.toLowerCase(),
        vaultId,
        amount: 1500n,
        expiresAt: now + 7200n,
        minQuality: 250_000,
      })
      expect(facts.escrow(hex32(0xdead))).toBeUndefined()
      expect(facts.vault(vaultId)).toEqual({
        owner: chain.wallet(1).address.toLowerCase(),
        active: true,
        price: 1000n,
        pool: false,
      })
      expect(facts.vault(hex32(0xfee))).toBeUndefined()
      // Before the escrow was opened, the same job reads as absent.
      expect((await state.factsAt(number - 1, { jobs: [jobId], vaults: [] })).escrow(jobId)).toBeUndefined()
    } finally {
      state.stop()
    }
  })

  it('admits on one read per request: escrows at the latest block, vaults and time at a recent one', async () => {
    const seller = network.connect(chain.wallet(1))
    const buyer = network.connect(chain.wallet(2))
    const vaultId = hex32(0xc1)
    await seller.vaults.register(vaultId, { manifestHash: vaultId, policyHash: hex32(2), price: 10n })
    const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
    const relay = await countingRelay(chain.rpcUrl)
    const state = createChainState({ rpcUrl: relay.url, addresses: network.addresses, recentMs: 60_000 })
    const reads = () => relay.calls.splice(0)
    try {
      const first = hex32(0x400)
      await buyer.market.openJob(first, vaultId, now + 7200n, 10n, 0)
      const facts = await state.admissionFacts({ jobs: [first], vaults: [vaultId] })
      expect(facts.escrow(first)?.status).toBe('open')
      expect(facts.vault(vaultId)?.active).toBe(true)
      expect(reads().sort()).toEqual([
        'eth_blockNumber',
        'eth_call',
        'eth_call',
        'eth_call',
        'eth_getBlockByNumber',
      ])

      // Escrows opened since (each in a block of its own) are seen in one call each; vault and time
      // come from the recent block.
      for (let i = 1; i <= 3; i++) {
        const jobId = hex32(0x400 + i)
        await buyer.market.openJob(jobId, vaultId, now + 7200n, 10n, 0)
        const later = await state.admissionFacts({ jobs: [jobId], vaults: [vaultId] })
        expect(later.escrow(jobId)).toMatchObject({ status: 'open', amount: 10n, vaultId })
        expect(later.number).toBe(facts.number)
        expect(reads()).toEqual(['eth_call'])
      }

      // A vault registered after the recent block is not refused on the recent block's word.
      const fresh = hex32(0xc2)
      await seller.vaults.register(fresh, { manifestHash: fresh, policyHash: hex32(2), price: 10n })
      const jobId = hex32(0x4ff)
      await buyer.market.openJob(jobId, fresh, now + 7200n, 10n, 0)
      const reread = await state.admissionFacts({ jobs: [jobId], vaults: [fresh] })
      expect(reread.vault(fresh)?.active).toBe(true)
      expect(reread.number).toBe(await chain.provider.getBlockNumber())
      // The price of one read: a vault deactivated within recentMs still reads active here. Block
      // rules re-read it at the block's final number, which factsAt gives as the chain has it.
      await seller.vaults.deactivate(fresh)
      expect((await state.admissionFacts({ jobs: [], vaults: [fresh] })).vault(fresh)?.active).toBe(true)
      const final = await chain.provider.getBlockNumber()
      expect((await state.factsAt(final, { jobs: [], vaults: [fresh] })).vault(fresh)?.active).toBe(false)
    } finally {
      state.stop()
      await relay.close()
    }
  })

  it('re-reads the recent block once it is older than recentMs', async () => {
    const seller = network.connect(chain.wallet(1))
    const vaultId = hex32(0xd1)
    await seller.vaults.register(vaultId, { manifestHash: vaultId, policyHash: hex32(2), price: 10n })
    const state = createChainState({ rpcUrl: chain.rpcUrl, addresses: network.addresses, recentMs: 50 })
    try {
      const before = await state.admissionFacts({ jobs: [], vaults: [vaultId] })
      await seller.vaults.update(vaultId, { manifestHash: vaultId, policyHash: hex32(2), price: 11n })
      await new Promise((resolve) => setTimeout(resolve, 80))
      const after = await state.admissionFacts({ jobs: [], vaults: [vaultId] })
      expect(after.number).toBeGreaterThan(before.number)
      expect([before.vault(vaultId)?.price, after.vault(vaultId)?.price]).toEqual([10n, 11n])
    } finally {
      state.stop()
    }
  })
})
