import { SigningKey, Wallet } from 'ethers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useTestChain } from '../../protocol/testing/test-chain.ts'
import { EngineWallet, FEE_DATA_REUSE_MS } from './engine-wallet.ts'

const t = useTestChain({ validators: 1 })
afterEach(() => vi.restoreAllMocks())

describe("the SDK's wallet", () => {
  it('sends what an ethers Wallet sends, without recovering its own address in JS', async () => {
    const key = Wallet.createRandom().privateKey
    const funder = t.chain.wallet(0)
    await (await funder.sendTransaction({ to: new Wallet(key).address, value: 10n ** 18n })).wait()
    const wallet = new EngineWallet(key, t.chain.provider)
    const recoveries = vi.spyOn(SigningKey, 'recoverPublicKey')
    const to = `0x${'ab'.repeat(20)}`
    const response = await wallet.sendTransaction({ to, value: 7n })
    expect(recoveries).not.toHaveBeenCalled()
    expect(response.from).toBe(wallet.address)
    expect(response.nonce).toBe(0)
    const receipt = await response.wait()
    expect(receipt?.status).toBe(1)
    // What the chain recorded: this sender, this nonce, this value, the hash the response named.
    const mined = await t.chain.provider.getTransaction(response.hash)
    expect([mined?.from, mined?.nonce, mined?.to?.toLowerCase(), mined?.value]).toEqual([
      wallet.address,
      0,
      to,
      7n,
    ])
    // The control: ethers' own Wallet recovers the sender it just signed for.
    await (await new Wallet(key, t.chain.provider).sendTransaction({ to, value: 1n })).wait()
    expect(recoveries).toHaveBeenCalled()
  })

  it('refuses an answer that names another transaction', async () => {
    const key = Wallet.createRandom().privateKey
    await (await t.chain.wallet(0).sendTransaction({ to: new Wallet(key).address, value: 10n ** 18n })).wait()
    const wallet = new EngineWallet(key, t.chain.provider)
    const send = t.chain.provider.send.bind(t.chain.provider)
    vi.spyOn(t.chain.provider, 'send').mockImplementation(async (method, params) =>
      method === 'eth_sendRawTransaction' ? `0x${'00'.repeat(32)}` : send(method, params),
    )
    await expect(wallet.sendTransaction({ to: wallet.address, value: 1n })).rejects.toMatchObject({
      code: 'CHAIN_TX_FAILED',
      message: expect.stringMatching(/named transaction 0x0{64}, not 0x/),
    })
  })

  it('reads its nonce and fee data once for transactions in a row, and sends concurrent ones in order', async () => {
    const wallet = await fundedWallet()
    const methods = countMethods()
    const to = `0x${'cd'.repeat(20)}`
    const first = await wallet.sendTransaction({ to, value: 1n })
    // Sent together: each takes the nonce the one before it left.
    const [second, third] = await Promise.all([
      wallet.sendTransaction({ to, value: 2n }),
      wallet.sendTransaction({ to, value: 3n }),
    ])
    expect([first.nonce, second.nonce, third.nonce]).toEqual([0, 1, 2])
    await Promise.all([first, second, third].map((r) => r.wait()))
    expect(methods.get('eth_getTransactionCount')).toBe(1)
    expect(methods.get('eth_maxPriorityFeePerGas')).toBe(1)
    expect(methods.get('eth_sendRawTransaction')).toBe(3)
    // Every one was mined with the value it carried, from this account.
    for (const [response, value] of [
      [first, 1n],
      [second, 2n],
      [third, 3n],
    ] as const)
      expect((await t.chain.provider.getTransaction(response.hash))?.value).toBe(value)
  })

  it('fetches fee data again once it is older than FEE_DATA_REUSE_MS', async () => {
    const wallet = await fundedWallet()
    const methods = countMethods()
    const now = Date.now()
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now)
    await (await wallet.sendTransaction({ to: wallet.address, value: 1n })).wait()
    clock.mockReturnValue(now + FEE_DATA_REUSE_MS - 1)
    await (await wallet.sendTransaction({ to: wallet.address, value: 1n })).wait()
    expect(methods.get('eth_maxPriorityFeePerGas')).toBe(1)
    clock.mockReturnValue(now + FEE_DATA_REUSE_MS)
    await (await wallet.sendTransaction({ to: wallet.address, value: 1n })).wait()
    expect(methods.get('eth_maxPriorityFeePerGas')).toBe(2)
  })

  it('recovers when another sender used the nonce it counted on', async () => {
    const wallet = await fundedWallet()
    const to = `0x${'ef'.repeat(20)}`
    expect((await (await wallet.sendTransaction({ to, value: 1n })).wait())?.status).toBe(1)
    // The same account, used from elsewhere (another process, a browser tab): nonce 1 is gone.
    const elsewhere = new Wallet(wallet.privateKey, t.chain.provider)
    await (await elsewhere.sendTransaction({ to, value: 5n })).wait()
    const response = await wallet.sendTransaction({ to, value: 2n })
    expect(response.nonce).toBe(2)
    expect((await response.wait())?.status).toBe(1)
    expect(await t.chain.provider.getTransactionCount(wallet.address)).toBe(3)
  })

  it('still refuses a reverting call before sending it, with its reason', async () => {
    const wallet = await fundedWallet()
    const methods = countMethods()
    // A call to the chain's registry that reverts: caught by the gas estimate, never broadcast.
    await expect(
      wallet.sendTransaction({ to: t.net.addresses.jobMarket, data: '0xdeadbeef' }),
    ).rejects.toMatchObject({ code: 'CALL_EXCEPTION' })
    expect(methods.get('eth_sendRawTransaction')).toBeUndefined()
    expect(methods.get('eth_estimateGas')).toBe(1)
  })
})

/** A fresh account funded by the chain's first dev wallet, behind an EngineWallet. */
async function fundedWallet(): Promise<EngineWallet> {
  const key = Wallet.createRandom().privateKey
  await (await t.chain.wallet(0).sendTransaction({ to: new Wallet(key).address, value: 10n ** 18n })).wait()
  return new EngineWallet(key, t.chain.provider)
}

/** Counts the JSON-RPC methods the test chain's provider sends from now on. */
function countMethods(): Map<string, number> {
  const counts = new Map<string, number>()
  const send = t.chain.provider._send.bind(t.chain.provider)
  vi.spyOn(t.chain.provider, '_send').mockImplementation(async (payload) => {
    for (const { method } of Array.isArray(payload) ? payload : [payload])
      counts.set(method, (counts.get(method) ?? 0) + 1)
    return send(payload)
  })
  return counts
}
