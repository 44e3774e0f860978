import { beforeAll, describe, expect, it } from 'vitest'
import type { Block, Hex32 } from '../../protocol/index.ts'
import { DEV_PRIVATE_KEYS } from '../../protocol/index.ts'
import { useTestChain } from '../../protocol/testing/test-chain.ts'
import { decidedBlock } from '../chain/testing/decided.ts'
import { openEscrow, randomHash, releaseOf } from '../chain/testing/escrow.ts'
import { type ChainContext, connectChain } from './chain.ts'
import { ClientError } from './errors.ts'
import { type SettleSource, settleJob } from './settle.ts'
import type { JobRecord } from './types.ts'

const PRICE = 10n ** 16n

const t = useTestChain({ validators: 4 })
let ctx: ChainContext

beforeAll(() => {
  const info = { chainId: Number(t.chain.chainId), rpcUrl: t.chain.rpcUrl, addresses: t.net.addresses }
  ctx = connectChain(info, DEV_PRIVATE_KEYS[3])
  t.onStop(() => ctx.provider.destroy())
})

/** What a node would serve: the job's stage and closing height, and the decided block at that height. */
function source(
  records: Record<Hex32, Pick<JobRecord, 'stage' | 'releasedHeight' | 'failedHeight'>>,
  block?: Block,
): SettleSource {
  return {
    chain: ctx,
    job: async (jobId) => records[jobId] ?? { stage: 'pending' },
    block: async (height) => (block && block.height === height ? { block } : undefined),
    transact: (_what, send) =>
      send().catch((cause: unknown) => {
        throw new ClientError('CHAIN_TX_FAILED', 'failed', { cause })
      }),
  }
}

describe('settling by hand', () => {
  it('pays an anchored release and refunds an anchored failure, idempotently', async () => {
    const released = (await openEscrow(t.chain, t.net, PRICE)).jobId
    const failed = (await openEscrow(t.chain, t.net, PRICE)).jobId
    const release = releaseOf(t.net, released, 600_000)
    const decided = decidedBlock(t.net, 4, { released: [release], failed: [failed] })
    const block: Block = {
      version: 1,
      height: 4,
      epoch: t.net.epoch,
      parentHash: decided.header.parentHash,
      proposer: decided.header.proposer,
      chainBlock: 0,
      admitted: [],
      certified: [],
      released: [release],
      failed: [failed],
    }
    const records = {
      [released]: { stage: 'released', releasedHeight: 4 },
      [failed]: { stage: 'failed', failedHeight: 4 },
    } as const
    const src = source(records, block)
    // Not anchored yet: nothing proves an outcome, and the escrow is far from expiring.
    await expect(settleJob(src, released)).rejects.toMatchObject({ code: 'NOT_SETTLEABLE' })

    const { anchor } = t.net.connect(t.chain.wallet(0))
    await anchor.anchor({
      header: decided.header,
      round: 0,
      validatorSet: t.net.validatorSet,
      precommits: decided.certificate.precommits,
    })
    const paid = await settleJob(src, released)
    const each = (PRICE * 2000n) / 10_000n / 4n
    expect(paid).toMatchObject({
      status: 'paid',
      sentNow: true,
      owner: { address: t.chain.wallet(1).address.toLowerCase(), amount: String(PRICE - 4n * each) },
    })
    expect(paid.validators).toHaveLength(4)
    expect(await settleJob(src, released)).toEqual({ ...paid, sentNow: false })
    expect(await settleJob(src, failed)).toMatchObject({
      status: 'refunded',
      sentNow: true,
      buyer: { address: t.chain.wallet(2).address.toLowerCase(), amount: String(PRICE) },
    })
  })

  it('refunds an escrow nothing closed once expiry and grace passed; refuses a job never escrowed', async () => {
    const { jobId, expiresAt, now } = await openEscrow(t.chain, t.net, PRICE)
    const src = source({ [jobId]: { stage: 'admitted' } })
    await expect(settleJob(src, jobId)).rejects.toMatchObject({ code: 'NOT_SETTLEABLE' })
    const grace = await ctx.market.settlementGrace()
    await t.chain.provider.send('evm_increaseTime', [Number(expiresAt - now + grace) + 1])
    await t.chain.provider.send('evm_mine', [])
    expect(await settleJob(src, jobId)).toMatchObject({ status: 'refunded', sentNow: true })
    await expect(settleJob(src, randomHash())).rejects.toMatchObject({ code: 'NO_ESCROW' })
  })
})
