import { beforeAll, describe, expect, it } from 'vitest'
import type { Address, Hex32 } from '../../protocol/index.ts'
import { useTestChain } from '../../protocol/testing/test-chain.ts'
import { openEscrow, randomHash } from '../chain/testing/escrow.ts'
import { connectChain } from '../sdk/chain.ts'
import type { ChainContext } from '../sdk/index.ts'
import { checkEscrow, readVaultTerms } from './escrow.ts'

const PRICE = 10n ** 16n

const t = useTestChain({ validators: 1 })
let ctx: ChainContext

beforeAll(() => {
  const info = { chainId: Number(t.chain.chainId), rpcUrl: t.chain.rpcUrl, addresses: t.net.addresses }
  ctx = connectChain(info, undefined)
  t.onStop(() => ctx.provider.destroy())
})

const buyer = () => t.chain.wallet(2).address.toLowerCase() as Address
const refusal = (promise: Promise<void>) =>
  promise.then(
    () => 'sealed',
    (e: { code: string }) => e.code,
  )

describe('the agent seals only against an escrow that pays for the request', () => {
  it('accepts an open, bound, priced escrow locked long enough', async () => {
    const { jobId } = await openEscrow(t.chain, t.net, PRICE)
    const vaultId = (await ctx.market.escrowOf(jobId)).vaultId
    expect(await refusal(checkEscrow(ctx, jobId, { vaultId, buyer: buyer(), minQuality: 0 }, 600))).toBe(
      'sealed',
    )
  })

  it('refuses an escrow for another vault, by another buyer, below the price, or none at all', async () => {
    // The buyer escrowed on a vault of its own at price 0 and asks for a job on the seller's vault.
    const own = await openEscrow(t.chain, t.net, 0n)
    const seller = await openEscrow(t.chain, t.net, PRICE)
    const sellerVault = (await ctx.market.escrowOf(seller.jobId)).vaultId
    expect(
      await refusal(
        checkEscrow(ctx, own.jobId, { vaultId: sellerVault, buyer: buyer(), minQuality: 0 }, 600),
      ),
    ).toBe('ESCROW_MISMATCH')
    const other = t.chain.wallet(3).address.toLowerCase() as Address
    expect(
      await refusal(
        checkEscrow(ctx, seller.jobId, { vaultId: sellerVault, buyer: other, minQuality: 0 }, 600),
      ),
    ).toBe('ESCROW_MISMATCH')
    // The owner raised the price after the escrow was opened.
    await t.net.connect(t.chain.wallet(1)).vaults.update(sellerVault, {
      manifestHash: sellerVault,
      policyHash: randomHash(),
      price: PRICE + 1n,
    })
    expect(
      await refusal(
        checkEscrow(ctx, seller.jobId, { vaultId: sellerVault, buyer: buyer(), minQuality: 0 }, 600),
      ),
    ).toBe('ESCROW_MISMATCH')
    expect(
      await refusal(
        checkEscrow(ctx, randomHash() as Hex32, { vaultId: sellerVault, buyer: buyer(), minQuality: 0 }, 600),
      ),
    ).toBe('ESCROW_MISMATCH')
  })

  it('refuses an escrow bound to another minimum quality than the signed spec states', async () => {
    // The buyer signed a spec with no minimum but escrowed one of 1: the owner would seal the result
    // and, short of a perfect score, never be paid.
    const { jobId } = await openEscrow(t.chain, t.net, PRICE, 1_000_000)
    const vaultId = (await ctx.market.escrowOf(jobId)).vaultId
    expect(await refusal(checkEscrow(ctx, jobId, { vaultId, buyer: buyer(), minQuality: 0 }, 600))).toBe(
      'ESCROW_MISMATCH',
    )
    expect(
      await refusal(checkEscrow(ctx, jobId, { vaultId, buyer: buyer(), minQuality: 1_000_000 }, 600)),
    ).toBe('sealed')
  })

  it('refuses an escrow about to expire', async () => {
    const { jobId, expiresAt, now } = await openEscrow(t.chain, t.net, PRICE)
    const vaultId = (await ctx.market.escrowOf(jobId)).vaultId
    await t.chain.provider.send('evm_increaseTime', [Number(expiresAt - now) - 300])
    await t.chain.provider.send('evm_mine', [])
    expect(await refusal(checkEscrow(ctx, jobId, { vaultId, buyer: buyer(), minQuality: 0 }, 600))).toBe(
      'ESCROW_EXPIRING',
    )
    expect(await refusal(checkEscrow(ctx, jobId, { vaultId, buyer: buyer(), minQuality: 0 }, 60))).toBe(
      'sealed',
    )
  })

  it('checks against the terms a caller read once for several jobs, as read then', async () => {
    const { jobId } = await openEscrow(t.chain, t.net, PRICE)
    const vaultId = (await ctx.market.escrowOf(jobId)).vaultId
    const terms = await readVaultTerms(ctx, vaultId)
    expect(terms.price).toBe(PRICE)
    const request = { vaultId, buyer: buyer(), minQuality: 0 }
    expect(await refusal(checkEscrow(ctx, jobId, request, 600, Promise.resolve(terms)))).toBe('sealed')
    // Terms the caller read later: a raised price, a chain time past the lock.
    const raised = { ...terms, price: PRICE + 1n }
    expect(await refusal(checkEscrow(ctx, jobId, request, 600, Promise.resolve(raised)))).toBe(
      'ESCROW_MISMATCH',
    )
    const late = { ...terms, chainTime: terms.chainTime + 10n ** 6n }
    expect(await refusal(checkEscrow(ctx, jobId, request, 600, Promise.resolve(late)))).toBe(
      'ESCROW_EXPIRING',
    )
    // A failed read of the terms is the check's failure, never a pass.
    const failed = Promise.reject(new Error('rpc down'))
    await expect(checkEscrow(ctx, jobId, request, 600, failed)).rejects.toThrow('rpc down')
  })
})
