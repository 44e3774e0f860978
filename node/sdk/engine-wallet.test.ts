import { SigningKey, Wallet } from 'ethers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useTestChain } from '../../protocol/testing/test-chain.ts'
import { EngineWallet } from './engine-wallet.ts'

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
})
