import { Wallet } from 'ethers'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { addressOfPrivateKey, type Block, type Hex32, ZERO_HASH } from '../../protocol/index.ts'
import { useTestChain } from '../../protocol/testing/test-chain.ts'
import { createChainClient, createChainState } from '../chain/index.ts'
import type { NodeChain } from '../ports.ts'
import { Epochs, type EpochsInit } from './epochs.ts'

const test = useTestChain({ validators: 4 })

/** The chain reads epochs need, from the real contracts on the dev chain. */
async function registryOnChain(): Promise<Pick<NodeChain, 'currentEpoch' | 'epochAt' | 'validatorSet'>> {
  const client = createChainClient({
    rpcUrl: test.chain.rpcUrl,
    addresses: test.net.addresses,
    privateKey: test.net.validatorKeys[0] as Hex32,
  })
  await client.start()
  const state = createChainState({ rpcUrl: test.chain.rpcUrl, addresses: test.net.addresses })
  test.onStop(async () => {
    state.stop()
    await client.stop()
  })
  return {
    currentEpoch: () => client.currentEpoch(),
    validatorSet: async (epoch) => (await client.validatorSet(epoch)).members,
    epochAt: (number) => state.epochAt(number),
  }
}

async function init(started: number[]): Promise<EpochsInit> {
  return {
    chain: await registryOnChain(),
    domain: test.net.domain,
    validatorKey: test.net.validatorKeys[1] as Hex32,
    logger: pino({ level: 'silent' }),
    onEpochStarted: (epoch) => started.push(epoch),
  }
}

const block = (height: number, epoch: number, chainBlock: number): Block => ({
  version: 1,
  height,
  epoch,
  parentHash: ZERO_HASH,
  proposer: addressOfPrivateKey(test.net.validatorKeys[0] as Hex32),
  chainBlock,
  admitted: [],
  certified: [],
  released: [],
  failed: [],
})

describe('Epochs', () => {
  it("opens on the registry's current epoch with the staked set, and signs what its verifier accepts", async () => {
    const epochs = await Epochs.open(await init([]), { height: 0, epoch: 0, chainBlock: 0 })
    const { current } = epochs
    expect(current.number).toBe(test.net.epoch)
    expect(current.validators.validators.map((v) => v.address).sort()).toEqual(
      test.net.validatorKeys.map((k) => addressOfPrivateKey(k)).sort(),
    )
    // Equal stakes: equal power, divided down to 1 each.
    expect(current.validators.validators.map((v) => v.power)).toEqual([1, 1, 1, 1])
    const me = addressOfPrivateKey(test.net.validatorKeys[1] as Hex32)
    const signed = epochs.consensusSigner(me).signVote({
      type: 'precommit',
      height: 1,
      round: 0,
      valueId: ZERO_HASH,
      validator: me,
    })
    expect(current.verifier.verifyVote(signed)).toBe(true)
  })

  it('restarts at the epoch the chain says at the last block, and stays there while it does not change', async () => {
    const started: number[] = []
    const latest = await test.chain.provider.getBlockNumber()
    const epochs = await Epochs.open(await init(started), {
      height: 7,
      epoch: test.net.epoch,
      chainBlock: latest,
    })
    expect(epochs.current.number).toBe(test.net.epoch)
    await epochs.follow(block(8, test.net.epoch, latest))
    expect(epochs.current.number).toBe(test.net.epoch)
    expect(started).toEqual([])
  })

  it('refuses an epoch with no validators on chain', async () => {
    const next = await init([])
    const chain = next.chain
    await expect(
      Epochs.open(
        { ...next, chain: { ...chain, currentEpoch: async () => (await chain.currentEpoch()) + 5 } },
        {
          height: 0,
          epoch: 0,
          chainBlock: 0,
        },
      ),
    ).rejects.toMatchObject({ code: 'NO_VALIDATORS' })
  })

  it('loads the current epoch and a later one a peer names, never an earlier one nor one with no validators', async () => {
    const epochs = await Epochs.open(await init([]), { height: 0, epoch: 0, chainBlock: 0 })
    const now = epochs.current.number
    expect(await epochs.load(now)).toBe(epochs.current)
    await expect(epochs.load(now - 1)).rejects.toMatchObject({ code: 'PAST_EPOCH' })
    // The registry has no set for a later epoch yet: refused, and asked again next time (not cached).
    await expect(epochs.load(now + 1)).rejects.toMatchObject({ code: 'NO_VALIDATORS' })
    await expect(epochs.load(now + 1)).rejects.toMatchObject({ code: 'NO_VALIDATORS' })

    // One validator leaves and the epoch advances on chain: the next set loads before the node follows.
    const leaver = new Wallet(test.net.validatorKeys[3] as Hex32, test.chain.provider)
    const registry = test.net.connect(leaver).validators
    await registry.beginUnbonding()
    await registry.advanceEpoch()
    const next = await epochs.load(now + 1)
    expect(next.number).toBe(now + 1)
    expect(next.validators.validators.map((v) => v.address)).not.toContain(
      addressOfPrivateKey(test.net.validatorKeys[3] as Hex32),
    )
    expect(next.validators.validators).toHaveLength(3)
    expect(epochs.current.number).toBe(now)
  })
})
