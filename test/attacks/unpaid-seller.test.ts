import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnchorer } from '../../node/chain/anchorer.ts'
import { type ChainClient, createChainClient } from '../../node/chain/chain-client.ts'
import { decidedBlock } from '../../node/chain/testing/decided.ts'
import { toHex } from '../../protocol/hex.ts'
import { ContractRevertError, type Hex32, signRelease } from '../../protocol/index.ts'
import {
  DEV_PRIVATE_KEYS,
  type DevChain,
  startDevChain,
  startTestNetwork,
  type TestNetwork,
} from '../../protocol/testing/index.ts'

// Finding (critical): nothing settles a released job, so its escrow stays Open; once it expires the
// buyer refunds itself in full with the result already in hand, and the seller is never paid.

const randomHash = (): Hex32 => toHex(randomBytes(32))
const PRICE = 10n ** 16n
const OWNER_SHARE_BPS = 8000n

let chain: DevChain
let net: TestNetwork
const clients: ChainClient[] = []

beforeAll(async () => {
  chain = await startDevChain()
  net = await startTestNetwork(chain, { validators: 4 })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()))
  await chain?.stop()
})

const owner = () => chain.wallet(1)
const buyer = () => chain.wallet(2)

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('attack: the buyer keeps the result and takes its escrow back', () => {
  it('a released, anchored job pays the seller, and the buyer cannot refund it after expiry', async () => {
    const vaultId = randomHash()
    await net.connect(owner()).vaults.register(vaultId, {
      manifestHash: vaultId,
      policyHash: randomHash(),
      price: PRICE,
    })
    const jobId = randomHash()
    const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
    const expiresAt = now + 3_600n + 60n
    await net.connect(buyer()).market.openJob(jobId, vaultId, expiresAt, PRICE)

    // The owner released the result to the buyer; a block carrying the release is decided.
    const release = signRelease(net.domain, DEV_PRIVATE_KEYS[1], {
      jobId,
      resultHash: randomHash(),
      qualityScore: 900_000,
      components: { sampleSize: 1e6, completeness: 1e6, plausibility: 1e6, fitness: 1e6 },
      sealedHash: randomHash(),
    })
    const decided = decidedBlock(net, 5, { released: [release] })

    // The proposer's node anchors it, exactly as the daemon does.
    const client = createChainClient({
      rpcUrl: chain.rpcUrl,
      addresses: net.addresses,
      privateKey: net.validatorKeys[0]!,
      pollMs: 20,
    })
    clients.push(client)
    await client.start()
    const anchorer = createAnchorer({ chain: client, takeoverDelayMs: 200 })
    anchorer.submit(decided)
    await until(async () => (anchorer.state(5)?.status === 'anchored' ? true : undefined))
    await anchorer.stop()

    // Give the network the time it has; then the buyer tries to take its escrow back.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    await chain.provider.send('evm_increaseTime', [Number(expiresAt - now) + 1])
    await chain.provider.send('evm_mine', [])
    const market = net.connect(buyer()).market
    const refund = await market.refundExpired(jobId).then(
      () => undefined,
      (e: unknown) => e,
    )
    const job = await market.job(jobId)
    const ownerCredit = await market.balance(owner().address.toLowerCase() as Hex32)
    const buyerCredit = await market.balance(buyer().address.toLowerCase() as Hex32)
    console.log(
      `after expiry: job ${job.status}, refund ${refund === undefined ? 'succeeded' : 'reverted'}, ` +
        `owner credited ${ownerCredit} wei, buyer credited ${buyerCredit} wei`,
    )
    expect(refund).toBeInstanceOf(ContractRevertError)
    expect(job.status).toBe('paid')
    expect(ownerCredit).toBe((PRICE * OWNER_SHARE_BPS) / 10_000n)
    expect(buyerCredit).toBe(0n)
  })
})
