import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { anvilArgs, DEV_CHAIN_ID, DevChainError, startDevChain } from './devChain.ts'
import { freePorts } from './free-ports.ts'

describe('the dev chain (anvil)', () => {
  it('with interval mining, mines empty blocks when idle', async () => {
    const chain = await startDevChain({ intervalMiningMs: 400 })
    try {
      expect(chain.chainId).toBe(BigInt(DEV_CHAIN_ID))
      const start = await chain.provider.getBlockNumber()
      // A reader a few blocks below the latest still moves on a quiet chain.
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      expect(await chain.provider.getBlockNumber()).toBeGreaterThanOrEqual(start + 2)
    } finally {
      await chain.stop()
    }
  })

  it('with interval mining, still mines each transaction when it is sent', async () => {
    // An interval far beyond the receipt's deadline: only mining per transaction can meet it.
    const chain = await startDevChain({ intervalMiningMs: 600_000 })
    try {
      const to = chain.wallet(1).address
      const receipt = await (await chain.wallet(0).sendTransaction({ to, value: 1n })).wait(1, 30_000)
      expect(receipt?.status).toBe(1)
      expect(await chain.provider.getBalance(to)).toBe(10_000n * 10n ** 18n + 1n)
    } finally {
      await chain.stop()
    }
  })

  it('without interval mining, mines nothing while idle', async () => {
    const chain = await startDevChain()
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      expect(await chain.provider.getBlockNumber()).toBe(0)
    } finally {
      await chain.stop()
    }
  })

  it('names the port in a typed error when it cannot listen there', async () => {
    const [port] = await freePorts(1)
    // It hangs up on whoever connects, so that closing it waits for nobody.
    const holder = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve))
    try {
      const started = startDevChain({ port: port!, startTimeoutMs: 10_000 })
      await expect(started).rejects.toBeInstanceOf(DevChainError)
      await expect(started).rejects.toThrow(`127.0.0.1:${port}`)
    } finally {
      await new Promise((resolve) => holder.close(resolve))
    }
  })

  it('refuses an interval it cannot express', () => {
    expect(() => anvilArgs({ host: '127.0.0.1', port: 8545, intervalMiningMs: 0 })).toThrow(RangeError)
    expect(() => anvilArgs({ host: '127.0.0.1', port: 8545, intervalMiningMs: Number.NaN })).toThrow(
      RangeError,
    )
    expect(anvilArgs({ host: '0.0.0.0', port: 8545, intervalMiningMs: 1000 })).toEqual([
      '--host',
      '0.0.0.0',
      '--port',
      '8545',
      '--chain-id',
      '31337',
      '--block-time',
      '1',
      '--mixed-mining',
      '--quiet',
    ])
  })
})
