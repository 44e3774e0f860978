import { describe, expect, it } from 'vitest'
import type { Hex32 } from '../../protocol/index.ts'
import { useTestChain } from '../../protocol/testing/test-chain.ts'
import type { Settlement } from '../storage/index.ts'
import { type ChainClient, createChainClient } from './chain-client.ts'
import { ChainError } from './errors.ts'
import { createSettler } from './settler.ts'
import { decidedBlock } from './testing/decided.ts'
import { openEscrow, randomHash, releaseOf, until } from './testing/escrow.ts'

const PRICE = 10n ** 16n

const t = useTestChain({ validators: 4 })
const clients: ChainClient[] = []
t.onStop(() => Promise.all(clients.map((c) => c.stop())))

async function clientFor(i: number): Promise<ChainClient> {
  const client = createChainClient({
    rpcUrl: t.chain.rpcUrl,
    addresses: t.net.addresses,
    privateKey: t.net.validatorKeys[i]!,
    pollMs: 20,
  })
  clients.push(client)
  await client.start()
  return client
}

describe('settler', () => {
  it('pays a release and refunds a failure once; a validator taking over records, not repeats, them', async () => {
    const released = (await openEscrow(t.chain, t.net, PRICE)).jobId
    const failed = (await openEscrow(t.chain, t.net, PRICE)).jobId
    const unpaid = randomHash()
    const release = releaseOf(t.net, released, 700_000)
    const decided = decidedBlock(t.net, 3, {
      released: [release],
      failed: [failed, unpaid],
      signers: [0, 1, 2],
    })
    const block = { released: [release], failed: [failed, unpaid], certified: [] }
    const anchoring = await clientFor(0)
    await anchoring.anchorBlock(decided)

    const settled = [new Map<Hex32, Settlement>(), new Map<Hex32, Settlement>()]
    const settlers = await Promise.all(
      [0, 1].map(async (i) =>
        createSettler({
          chain: i === 0 ? anchoring : await clientFor(1),
          takeoverDelayMs: 300,
          onSettled: (jobId, s) => settled[i]!.set(jobId, s),
        }),
      ),
    )
    settlers[0]!.submit({ ...decided, block, byUs: true })
    settlers[1]!.submit({ ...decided, block, byUs: false })
    await until(() => (settled[1]!.size === 2 ? true : undefined))
    await Promise.all(settlers.map((s) => s.stop()))

    const each = (PRICE * 2000n) / 10_000n / 3n
    const paid = settled[0]!.get(released)!
    expect(paid).toMatchObject({
      status: 'paid',
      byUs: true,
      height: 3,
      owner: { address: t.chain.wallet(1).address.toLowerCase(), amount: String(PRICE - 3n * each) },
    })
    expect(paid.validators).toEqual(
      decided.certificate.precommits.map((p) => ({ address: p.validator, amount: String(each) })),
    )
    expect(settled[0]!.get(failed)).toMatchObject({
      status: 'refunded',
      byUs: true,
      buyer: { address: t.chain.wallet(2).address.toLowerCase(), amount: String(PRICE) },
    })
    // The block's outcomes closed in one transaction (JobMarket.settleMany).
    expect(settled[0]!.get(failed)!.txHash).toBe(paid.txHash)
    // The validator in line after it found both closed: same transactions, not its own.
    expect(settled[1]!.get(released)).toEqual({ ...paid, byUs: false })
    expect(settled[1]!.get(failed)).toEqual({ ...settled[0]!.get(failed)!, byUs: false })
    // A job nobody escrowed has nothing to settle.
    expect(settled[0]!.has(unpaid)).toBe(false)
    const market = t.net.connect(t.chain.wallet(0)).market
    expect((await market.job(released)).status).toBe('paid')
    expect((await market.job(failed)).status).toBe('refunded')
  })

  it('settles job by job when the block at once is refused, so one refused outcome holds up no other', async () => {
    const first = (await openEscrow(t.chain, t.net, PRICE)).jobId
    const second = (await openEscrow(t.chain, t.net, PRICE)).jobId
    const releases = [releaseOf(t.net, first, 700_000), releaseOf(t.net, second, 800_000)]
    const decided = decidedBlock(t.net, 7, { released: releases, failed: [], signers: [0, 1, 2] })
    const real = await clientFor(0)
    await real.anchorBlock(decided)
    // The chain client is real; only its settleMany answer is replaced by the refusal a forged proof gets.
    const refusing: ChainClient = {
      ...real,
      settleJobs: async () => {
        throw new ChainError('REVERTED', 'JobMarket.settleMany reverts: InvalidProof', {
          reason: 'InvalidProof',
        })
      },
    }
    const settled = new Map<Hex32, Settlement>()
    const settler = createSettler({ chain: refusing, onSettled: (jobId, s) => settled.set(jobId, s) })
    settler.submit({ ...decided, block: { released: releases, failed: [], certified: [] }, byUs: true })
    await until(() => (settled.size === 2 ? true : undefined))
    await settler.stop()
    expect(settled.get(first)).toMatchObject({ status: 'paid', byUs: true })
    expect(settled.get(second)).toMatchObject({ status: 'paid', byUs: true })
    expect(settled.get(first)!.txHash).not.toBe(settled.get(second)!.txHash)
  })

  it('records a release below the escrow’s minimum quality as rejected: the buyer refunded less the fee', async () => {
    const jobId = (await openEscrow(t.chain, t.net, PRICE, 900_000)).jobId
    const release = releaseOf(t.net, jobId, 899_999)
    const decided = decidedBlock(t.net, 4, { released: [release], failed: [], signers: [0, 1, 2, 3] })
    const chain = await clientFor(2)
    await chain.anchorBlock(decided)
    const settled = new Map<Hex32, Settlement>()
    const settler = createSettler({ chain, onSettled: (id, s) => settled.set(id, s) })
    settler.submit({ ...decided, block: { released: [release], failed: [], certified: [] }, byUs: true })
    const rejected = await until(() => settled.get(jobId))
    await settler.stop()

    const each = (PRICE * 2000n) / 10_000n / 4n
    expect(rejected).toMatchObject({
      status: 'rejected',
      qualityScore: 899_999,
      minQuality: 900_000,
      buyer: { address: t.chain.wallet(2).address.toLowerCase(), amount: String(PRICE - 4n * each) },
    })
    expect(rejected.owner).toBeUndefined()
    expect(rejected.validators).toHaveLength(4)
    expect((await t.net.connect(t.chain.wallet(0)).market.job(jobId)).status).toBe('rejected')
  })

  it('records a pool job as paid with the owner share held for its contributors, no owner credited', async () => {
    const { jobId, vaultId } = await openEscrow(t.chain, t.net, PRICE)
    // openEscrow's vault, marked a pool by its owner (dev account 1) after the escrow was opened.
    await t.net.connect(t.chain.wallet(1)).vaults.markPool(vaultId)
    const market = t.net.connect(t.chain.wallet(0)).market
    const curator = t.chain.wallet(1).address.toLowerCase() as Hex32
    const curatorBefore = await market.balance(curator)
    const release = releaseOf(t.net, jobId, 700_000)
    const decided = decidedBlock(t.net, 5, { released: [release], failed: [], signers: [0, 1, 2, 3] })
    const chain = await clientFor(3)
    await chain.anchorBlock(decided)
    const settled = new Map<Hex32, Settlement>()
    const settler = createSettler({ chain, onSettled: (id, s) => settled.set(id, s) })
    settler.submit({ ...decided, block: { released: [release], failed: [], certified: [] }, byUs: true })
    const paid = await until(() => settled.get(jobId))
    await settler.stop()

    const each = (PRICE * 2000n) / 10_000n / 4n
    expect(paid).toMatchObject({ status: 'paid', heldForContributors: String(PRICE - 4n * each) })
    expect(paid.owner).toBeUndefined()
    expect(paid.validators).toHaveLength(4)
    // The earlier tests paid dev account 1 as an owner; this job added nothing to it.
    expect(await market.balance(curator)).toBe(curatorBefore)
  })
})
