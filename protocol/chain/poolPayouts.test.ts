import { randomBytes } from 'node:crypto'
import { type Signer, Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import { type Address, type Hex32, toHex } from '../hex.ts'
import { type PoolPayouts, payoutProof, poolPayouts, poolResultHash } from '../pools/payouts.ts'
import { anchorRelease } from '../testing/anchoredRelease.ts'
import { expectRevert, revertEachTest, useTestChain } from '../testing/test-chain.ts'
import type { PayoutClaim } from './jobMarket.ts'
import { settlementCredits } from './settlement.ts'

/**
 * Issue #14: a pool's earnings belong to its contributors, pro rata to their contributions in the
 * snapshot a job read. The curator registers the pool like a vault and marks it once; from then on
 * JobMarket holds a paid job's owner share and pays each contributor who proves its payouts leaf
 * against the root the job's anchored result hash binds. Each test is an attack on that.
 */
const t = useTestChain({ validators: 4 })
revertEachTest(t)

const ETH = 10n ** 18n
const PRICE = ETH / 10n
const randomHash = (): Hex32 => toHex(randomBytes(32))
const randomAddress = (): Address => toHex(randomBytes(20))
const lower = (w: { address: string }) => w.address.toLowerCase() as Address
const curator = () => t.chain.wallet(1)
const buyer = () => t.chain.wallet(2)
const relayer = () => t.chain.wallet(3)
const market = (w: Signer = relayer()) => t.net.connect(w).market
/** The owner share of an escrow settled by all 4 validators (ownerShareBps 8000), rounding dust included. */
const ownerShare = (escrow: bigint) => escrow - ((escrow * 2000n) / 10_000n / 4n) * 4n

let height = 100

/** Dev account 1 registers a vault (a pool unless `pool` is false) and account 2 escrows a job on it. */
async function poolJob(options: { pool?: boolean; minQuality?: number; escrow?: bigint } = {}) {
  const vaultId = randomHash()
  const vaults = t.net.connect(curator()).vaults
  await vaults.register(vaultId, { manifestHash: vaultId, policyHash: randomHash(), price: PRICE })
  if (options.pool ?? true) await vaults.markPool(vaultId)
  const jobId = randomHash()
  const now = BigInt((await t.chain.provider.getBlock('latest'))!.timestamp)
  await market(buyer()).openJob(jobId, vaultId, now + 7200n, options.escrow ?? PRICE, options.minQuality ?? 0)
  return { vaultId, jobId }
}

/** Anchors a block releasing `jobId` with `resultHash` and settles it. */
async function releaseAndSettle(jobId: Hex32, resultHash: Hex32, qualityScore = 800_000) {
  const proof = await anchorRelease(t.chain, t.net, { jobId, resultHash, qualityScore, height: ++height })
  return market().settle(jobId, resultHash, qualityScore, proof)
}

/** A snapshot of three contributors (2, 1 and 4 contributions) and the bundle a job on it produced. */
function snapshot() {
  const contributors = [randomAddress(), randomAddress(), lower(relayer())]
  const payouts = poolPayouts(new Map(contributors.map((c, i) => [c, [2, 1, 4][i]!])))
  const bundleHash = randomHash()
  return { contributors, payouts, bundleHash, resultHash: poolResultHash(bundleHash, payouts) }
}

const claimOf = (
  jobId: Hex32,
  bundleHash: Hex32,
  payouts: PoolPayouts,
  contributor: Address,
): PayoutClaim => ({
  jobId,
  bundleHash,
  root: payouts.root,
  total: payouts.total,
  contributor,
  contributions: payouts.leaves.find((l) => l.contributor === contributor)!.contributions,
  proof: payoutProof(payouts, contributor),
})

describe('pool payouts: the owner share of a pool job goes to its contributors', () => {
  it('holds the owner share for the contributors and pays each pro rata, to the wei', async () => {
    // An escrow that does not divide by the total of 7 contributions: the rounding must still add up.
    const escrow = PRICE + 13n
    const { jobId } = await poolJob({ escrow })
    const s = snapshot()
    await releaseAndSettle(jobId, s.resultHash)
    const held = ownerShare(escrow)
    // Attack today: JobMarket credits the curator the whole owner share of a pool's job.
    expect(await market().balance(lower(curator()))).toBe(0n)
    expect(await market().poolHold(jobId)).toEqual({
      resultHash: s.resultHash,
      amount: held,
      claimedContributions: 0n,
    })
    const closing = await market().closing(jobId)
    expect(closing).toMatchObject({ status: 'paid', ownerAmount: held, heldForContributors: true })
    // What nodes, the SDK and the explorer report: held for the contributors, no owner credited.
    expect(settlementCredits(closing!, [], 0n)).toEqual({
      status: 'paid',
      heldForContributors: String(held),
      validators: [],
    })

    for (const c of s.contributors) await market().claimPayout(claimOf(jobId, s.bundleHash, s.payouts, c))
    const paid = await Promise.all(s.contributors.map((c) => market().balance(c)))
    // Each gets its pro rata share, rounded down or up by at most one wei, and together all of it.
    for (const [i, amount] of paid.entries()) {
      const exact = (held * BigInt([2, 1, 4][i]!)) / 7n
      expect(amount - exact).toBeGreaterThanOrEqual(0n)
      expect(amount - exact).toBeLessThanOrEqual(1n)
    }
    expect(paid.reduce((a, b) => a + b, 0n)).toBe(held)
    expect((await market().poolHold(jobId))?.claimedContributions).toBe(7n)

    // The contributor withdraws like any payee.
    const before = await t.chain.provider.getBalance(relayer().address)
    const receipt = await market(relayer()).withdraw()
    const after = await t.chain.provider.getBalance(relayer().address)
    expect(after - before + receipt.gasUsed * receipt.gasPrice).toBe(paid[2])
  })

  it('refuses a second claim of one contributor on one job, by anyone', async () => {
    const { jobId } = await poolJob()
    const s = snapshot()
    await releaseAndSettle(jobId, s.resultHash)
    const claim = claimOf(jobId, s.bundleHash, s.payouts, s.contributors[0]!)
    await market().claimPayout(claim)
    const once = await market().balance(claim.contributor)
    await expectRevert(market().claimPayout(claim), 'AlreadyClaimed')
    await expectRevert(market(t.chain.wallet(4)).claimPayout(claim), 'AlreadyClaimed')
    expect(await market().balance(claim.contributor)).toBe(once)
  })

  it('refuses a forged count, a leaf for someone not in the snapshot and a proof of another leaf', async () => {
    const { jobId } = await poolJob()
    const s = snapshot()
    await releaseAndSettle(jobId, s.resultHash)
    const honest = claimOf(jobId, s.bundleHash, s.payouts, s.contributors[0]!)
    await expectRevert(market().claimPayout({ ...honest, contributions: 7 }), 'InvalidPayoutProof')
    // The curator claims with an honest contributor's proof under its own address.
    await expectRevert(
      market(curator()).claimPayout({ ...honest, contributor: lower(curator()) }),
      'InvalidPayoutProof',
    )
    await expectRevert(market().claimPayout({ ...honest, proof: [] }), 'InvalidPayoutProof')
    await expectRevert(market().claimPayout({ ...honest, contributions: 0, proof: [] }), 'InvalidPayoutProof')
    expect(await market().balance(lower(curator()))).toBe(0n)
    expect(await market().balance(honest.contributor)).toBe(0n)
    // The honest claim still goes through.
    await market().claimPayout(honest)
    expect(await market().balance(honest.contributor)).toBeGreaterThan(0n)
  })

  it('refuses a payouts tree the settled result hash does not bind', async () => {
    const { jobId } = await poolJob()
    const s = snapshot()
    await releaseAndSettle(jobId, s.resultHash)
    // The curator builds its own tree, naming itself for everything, under the job's real bundle hash.
    const own = poolPayouts(new Map([[lower(curator()), 7]]))
    const forged = claimOf(jobId, s.bundleHash, own, lower(curator()))
    await expectRevert(market(curator()).claimPayout(forged), 'PayoutNotBound')
    // Nor may the total be restated (a smaller one would inflate every share).
    const honest = claimOf(jobId, s.bundleHash, s.payouts, s.contributors[2]!)
    await expectRevert(market().claimPayout({ ...honest, total: 4 }), 'PayoutNotBound')
    await expectRevert(market().claimPayout({ ...honest, bundleHash: randomHash() }), 'PayoutNotBound')
    expect(await market().balance(lower(curator()))).toBe(0n)
  })

  it('refuses claims on a job of a vault that is no pool, an open job, a rejected and a refunded one', async () => {
    const s = snapshot()
    const ordinary = await poolJob({ pool: false })
    await releaseAndSettle(ordinary.jobId, s.resultHash)
    // The owner of a vault that is no pool is paid as before.
    expect(await market().balance(lower(curator()))).toBe(ownerShare(PRICE))
    expect(await market().poolHold(ordinary.jobId)).toBeUndefined()
    await expectRevert(
      market().claimPayout(claimOf(ordinary.jobId, s.bundleHash, s.payouts, s.contributors[0]!)),
      'NotPoolJob',
    )

    const open = await poolJob()
    await expectRevert(
      market().claimPayout(claimOf(open.jobId, s.bundleHash, s.payouts, s.contributors[0]!)),
      'JobNotPaid',
    )

    // Below the buyer's minimum quality: refunded less the fee, as for any vault; nothing to claim.
    const rejected = await poolJob({ minQuality: 900_000 })
    await releaseAndSettle(rejected.jobId, s.resultHash, 899_999)
    expect((await market().job(rejected.jobId)).status).toBe('rejected')
    expect(await market().balance(lower(buyer()))).toBe(ownerShare(PRICE))
    await expectRevert(
      market().claimPayout(claimOf(rejected.jobId, s.bundleHash, s.payouts, s.contributors[0]!)),
      'JobNotPaid',
    )

    const expired = await poolJob()
    await t.chain.provider.send('evm_increaseTime', [7200 + Number(await market().settlementGrace()) + 1])
    await market(buyer()).refundExpired(expired.jobId)
    await expectRevert(
      market().claimPayout(claimOf(expired.jobId, s.bundleHash, s.payouts, s.contributors[0]!)),
      'JobNotPaid',
    )
  })

  it("leaves the curator nothing to withdraw of the contributors' share", async () => {
    const { jobId } = await poolJob()
    const s = snapshot()
    await releaseAndSettle(jobId, s.resultHash)
    await expectRevert(market(curator()).withdraw(), 'NothingToWithdraw')
    // The share is still in JobMarket for the contributors.
    const held = ownerShare(PRICE)
    expect(await t.chain.provider.getBalance(market().address)).toBeGreaterThanOrEqual(held)
    await market().claimPayout(claimOf(jobId, s.bundleHash, s.payouts, s.contributors[1]!))
    expect(await market().balance(s.contributors[1]!)).toBe(held / 7n)
  })
})

describe('pool flag', () => {
  it("lets only the vault's owner mark it a pool, once, and says so", async () => {
    const vaultId = randomHash()
    const vaults = t.net.connect(curator()).vaults
    await vaults.register(vaultId, { manifestHash: vaultId, policyHash: randomHash(), price: PRICE })
    expect(await vaults.isPool(vaultId)).toBe(false)
    await expectRevert(t.net.connect(buyer()).vaults.markPool(vaultId), 'NotVaultOwner')
    await expectRevert(t.net.connect(buyer()).vaults.markPool(randomHash()), 'NotVaultOwner')
    const receipt = await vaults.markPool(vaultId)
    const logs = receipt.logs.map((l) => vaults.contract.interface.parseLog(l))
    expect(logs.map((l) => [l?.name, l?.args.vaultId, l?.args.curator])).toEqual([
      ['PoolMarked', vaultId, curator().address],
    ])
    expect(await vaults.isPool(vaultId)).toBe(true)
    await expectRevert(vaults.markPool(vaultId), 'AlreadyPool')

    // A deactivated vault can no longer be turned into a pool.
    const old = randomHash()
    await vaults.register(old, { manifestHash: old, policyHash: randomHash(), price: PRICE })
    await vaults.deactivate(old)
    await expectRevert(vaults.markPool(old), 'VaultInactive')
  })

  it('a fresh contributor key can withdraw what a relayer claimed for it', async () => {
    const contributor = Wallet.createRandom().connect(t.chain.provider)
    const { jobId } = await poolJob()
    const payouts = poolPayouts(new Map([[lower(contributor), 3]]))
    const bundleHash = randomHash()
    await releaseAndSettle(jobId, poolResultHash(bundleHash, payouts))
    await market().claimPayout(claimOf(jobId, bundleHash, payouts, lower(contributor)))
    expect(await market().balance(lower(contributor))).toBe(ownerShare(PRICE))
    await (await t.chain.wallet(0).sendTransaction({ to: contributor.address, value: ETH / 100n })).wait()
    await market(contributor).withdraw()
    expect(await market().balance(lower(contributor))).toBe(0n)
  })
})
