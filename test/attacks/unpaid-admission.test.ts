import { describe, expect, it } from 'vitest'
import { Ledger } from '../../node/jobs/ledger.ts'
import { ZERO_HASH } from '../../protocol/index.ts'
import { jobRequest, judge, nextBlock, openEscrow, useRulesChain } from '../support/rules-chain.ts'

/**
 * Finding: escrow was checked only where a request arrives over the API, not
 * by block validity, so one proposer could admit a job nobody paid for and
 * every validator would evaluate it (and the owner's agent decrypt for it).
 */
describe('attack: a proposer admits a job with no escrow', () => {
  const t = useRulesChain()

  it('is refused by block validity; the same job with its escrow open is admitted', async () => {
    const ledger = new Ledger(ZERO_HASH)
    const { signed, jobId } = jobRequest(t.rc)
    const unpaid = await nextBlock(t.rc, ledger, { admitted: [signed] })
    expect(await judge(t.rc, ledger, unpaid)).toMatchObject({ ok: false, code: 'ESCROW_MISSING' })

    await openEscrow(t.rc, jobId)
    const paid = await nextBlock(t.rc, ledger, { admitted: [signed] })
    expect(await judge(t.rc, ledger, paid)).toEqual({ ok: true })
  })

  it('judges at the block’s chain number, not at the latest state: the verdict never changes', async () => {
    const ledger = new Ledger(ZERO_HASH)
    const { signed, jobId } = jobRequest(t.rc)
    const early = await nextBlock(t.rc, ledger, { admitted: [signed] })
    await openEscrow(t.rc, jobId)
    // The escrow exists now, but not at the number the block names: every validator, whenever it
    // looks, sees the same missing escrow.
    expect(await judge(t.rc, ledger, early)).toMatchObject({ ok: false, code: 'ESCROW_MISSING' })
  })
})
