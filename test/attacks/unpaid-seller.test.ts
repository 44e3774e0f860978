import { describe, expect, it } from 'vitest'
import { createAnchorer } from '../../node/chain/anchorer.ts'
import { type ChainClient, createChainClient } from '../../node/chain/chain-client.ts'
import { createSettler } from '../../node/chain/settler.ts'
import { decidedBlock } from '../../node/chain/testing/decided.ts'
import { openEscrow, releaseOf, until } from '../../node/chain/testing/escrow.ts'
import type { Settlement } from '../../node/storage/index.ts'
import { ContractRevertError, type Hex32 } from '../../protocol/index.ts'
import { useTestChain } from '../../protocol/testing/test-chain.ts'

// Finding (critical): nothing settles a released job, so its escrow stays Open; once it expires the
// buyer refunds itself in full with the result already in hand, and the seller is never paid.

const PRICE = 10n ** 16n
const OWNER_SHARE_BPS = 8000n

const t = useTestChain({ validators: 4 })
const clients: ChainClient[] = []
t.onStop(() => Promise.all(clients.map((c) => c.stop())))

const owner = () => t.chain.wallet(1)
const buyer = () => t.chain.wallet(2)
const market0 = () => t.net.connect(t.chain.wallet(0)).market

describe('attack: the buyer keeps the result and takes its escrow back', () => {
  it('a released, anchored job pays the seller, and the buyer cannot refund it after expiry', async () => {
    const { jobId, expiresAt, now } = await openEscrow(t.chain, t.net, PRICE)
    // The owner released the result to the buyer; a block carrying the release is decided.
    const release = releaseOf(t.net, jobId, 900_000)
    const decided = decidedBlock(t.net, 5, { released: [release] })

    // The proposer's node anchors it and settles what the anchor proves, wired as the daemon wires them.
    const client = createChainClient({
      rpcUrl: t.chain.rpcUrl,
      addresses: t.net.addresses,
      privateKey: t.net.validatorKeys[0]!,
      pollMs: 20,
    })
    clients.push(client)
    await client.start()
    const settled = new Map<Hex32, Settlement>()
    const settler = createSettler({
      chain: client,
      takeoverDelayMs: 200,
      onSettled: (id, settlement) => settled.set(id, settlement),
    })
    const block = { released: [release], failed: [], certified: [] }
    const anchorer = createAnchorer({
      chain: client,
      takeoverDelayMs: 200,
      onAnchored: (event) => settler.submit({ ...decided, block, byUs: event.byUs }),
    })
    anchorer.submit(decided)
    const settlement = await until(async () => settled.get(jobId))
    await anchorer.stop()
    await settler.stop()
    expect(settlement).toMatchObject({ status: 'paid', byUs: true, height: 5 })
    console.log(`settled automatically in ${settlement.txHash}: owner ${settlement.owner?.amount} wei`)

    // Then the buyer, result in hand, waits out the expiry and tries to take its escrow back.
    const grace = await market0().settlementGrace()
    await t.chain.provider.send('evm_increaseTime', [Number(expiresAt - now + grace) + 1])
    await t.chain.provider.send('evm_mine', [])
    const market = t.net.connect(buyer()).market
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
