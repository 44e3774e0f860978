import { describe, expect, it } from 'vitest'
import { Ledger } from '../../node/jobs/ledger.ts'
import { type Hex32, ZERO_HASH } from '../../protocol/index.ts'
import { hex32, jobRequest, judge, nextBlock, openEscrow, useRulesChain } from '../support/rules-chain.ts'

/**
 * Finding: admission checked that an escrow for the job id was open and large
 * enough, never that it was for the request's vault, buyer and lifetime. A
 * buyer opened the escrow naming a price-0 vault of their own, had the job on
 * the seller's vault admitted and released, and settlement paid the buyer.
 */
describe('attack: escrow that does not match the signed request', () => {
  const t = useRulesChain()

  const admit = async (signed: ReturnType<typeof jobRequest>['signed']) => {
    const ledger = new Ledger(ZERO_HASH)
    return judge(t.rc, ledger, await nextBlock(t.rc, ledger, { admitted: [signed] }))
  }

  it('refuses escrow naming the buyer’s own price-0 vault', async () => {
    const ownVault = hex32()
    await t.rc.net.connect(t.rc.buyer).vaults.register(ownVault, {
      manifestHash: hex32(),
      policyHash: hex32(),
      price: 0n,
    })
    const { signed, jobId } = jobRequest(t.rc)
    await openEscrow(t.rc, jobId, { vaultId: ownVault, amount: 0n })
    expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_WRONG_VAULT' })
  })

  it('refuses escrow opened by someone other than the request’s buyer', async () => {
    const { signed, jobId } = jobRequest(t.rc)
    await openEscrow(t.rc, jobId, { from: t.rc.chain.wallet(3) })
    expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_WRONG_BUYER' })
  })

  it('refuses escrow below the vault’s price', async () => {
    const priced = hex32() as Hex32
    // The seller re-prices: the request still names the vault, the escrow pays the old price.
    const { signed, jobId } = jobRequest(t.rc)
    await openEscrow(t.rc, jobId)
    await t.rc.net.connect(t.rc.seller).vaults.update(t.rc.vaultId, {
      manifestHash: (await t.rc.net.connect(t.rc.seller).vaults.vault(t.rc.vaultId)).manifestHash,
      policyHash: priced,
      price: 1000n,
    })
    try {
      expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_BELOW_PRICE' })
    } finally {
      await t.rc.net.connect(t.rc.seller).vaults.update(t.rc.vaultId, {
        manifestHash: (await t.rc.net.connect(t.rc.seller).vaults.vault(t.rc.vaultId)).manifestHash,
        policyHash: priced,
        price: BigInt(t.rc.manifest.policy.price),
      })
    }
  })

  it('refuses escrow that expires before the job can complete', async () => {
    const { signed, jobId } = jobRequest(t.rc, { deadline: 5000 })
    const latest = await t.rc.chain.provider.getBlock('latest')
    // Long enough for the contract (min duration one hour), far too short for 5000 heights.
    await openEscrow(t.rc, jobId, { expiresAt: BigInt((latest?.timestamp ?? 0) + 3700) })
    expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_EXPIRES_EARLY' })
  })

  it('admits escrow that matches the request', async () => {
    const { signed, jobId } = jobRequest(t.rc)
    await openEscrow(t.rc, jobId)
    expect(await admit(signed)).toEqual({ ok: true })
  })
})
