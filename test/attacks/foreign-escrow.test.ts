import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Ledger } from '../../node/jobs/ledger.ts'
import { type Hex32, ZERO_HASH } from '../../protocol/index.ts'
import {
  hex32,
  jobRequest,
  judge,
  nextBlock,
  openEscrow,
  type RulesChain,
  startRulesChain,
} from '../support/rules-chain.ts'

/**
 * Finding: admission checked that an escrow for the job id was open and large
 * enough, never that it was for the request's vault, buyer and lifetime. A
 * buyer opened the escrow naming a price-0 vault of their own, had the job on
 * the seller's vault admitted and released, and settlement paid the buyer.
 */
describe('attack: escrow that does not match the signed request', () => {
  let rc: RulesChain
  beforeAll(async () => {
    rc = await startRulesChain()
  })
  afterAll(async () => rc?.stop())

  const admit = async (signed: ReturnType<typeof jobRequest>['signed']) => {
    const ledger = new Ledger(ZERO_HASH)
    return judge(rc, ledger, await nextBlock(rc, ledger, { admitted: [signed] }))
  }

  it('refuses escrow naming the buyer’s own price-0 vault', async () => {
    const ownVault = hex32()
    await rc.net.connect(rc.buyer).vaults.register(ownVault, {
      manifestHash: hex32(),
      policyHash: hex32(),
      price: 0n,
    })
    const { signed, jobId } = jobRequest(rc)
    await openEscrow(rc, jobId, { vaultId: ownVault, amount: 0n })
    expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_WRONG_VAULT' })
  })

  it('refuses escrow opened by someone other than the request’s buyer', async () => {
    const { signed, jobId } = jobRequest(rc)
    await openEscrow(rc, jobId, { from: rc.chain.wallet(3) })
    expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_WRONG_BUYER' })
  })

  it('refuses escrow below the vault’s price', async () => {
    const priced = hex32() as Hex32
    // The seller re-prices: the request still names the vault, the escrow pays the old price.
    const { signed, jobId } = jobRequest(rc)
    await openEscrow(rc, jobId)
    await rc.net.connect(rc.seller).vaults.update(rc.vaultId, {
      manifestHash: (await rc.net.connect(rc.seller).vaults.vault(rc.vaultId)).manifestHash,
      policyHash: priced,
      price: 1000n,
    })
    try {
      expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_BELOW_PRICE' })
    } finally {
      await rc.net.connect(rc.seller).vaults.update(rc.vaultId, {
        manifestHash: (await rc.net.connect(rc.seller).vaults.vault(rc.vaultId)).manifestHash,
        policyHash: priced,
        price: BigInt(rc.manifest.policy.price),
      })
    }
  })

  it('refuses escrow that expires before the job can complete', async () => {
    const { signed, jobId } = jobRequest(rc, { deadline: 5000 })
    const latest = await rc.chain.provider.getBlock('latest')
    // Long enough for the contract (min duration one hour), far too short for 5000 heights.
    await openEscrow(rc, jobId, { expiresAt: BigInt((latest?.timestamp ?? 0) + 3700) })
    expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_EXPIRES_EARLY' })
  })

  it('admits escrow that matches the request', async () => {
    const { signed, jobId } = jobRequest(rc)
    await openEscrow(rc, jobId)
    expect(await admit(signed)).toEqual({ ok: true })
  })
})
