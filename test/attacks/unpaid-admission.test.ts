import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Ledger } from '../../node/jobs/ledger.ts'
import { ZERO_HASH } from '../../protocol/index.ts'
import {
  jobRequest,
  judge,
  nextBlock,
  openEscrow,
  type RulesChain,
  startRulesChain,
} from '../support/rules-chain.ts'

/**
 * Finding: escrow was checked only where a request arrives over the API, not
 * by block validity, so one proposer could admit a job nobody paid for and
 * every validator would evaluate it (and the owner's agent decrypt for it).
 */
describe('attack: a proposer admits a job with no escrow', () => {
  let rc: RulesChain
  beforeAll(async () => {
    rc = await startRulesChain()
  })
  afterAll(async () => rc?.stop())

  it('is refused by block validity; the same job with its escrow open is admitted', async () => {
    const ledger = new Ledger(ZERO_HASH)
    const { signed, jobId } = jobRequest(rc)
    const unpaid = await nextBlock(rc, ledger, { admitted: [signed] })
    expect(await judge(rc, ledger, unpaid)).toMatchObject({ ok: false, code: 'ESCROW_MISSING' })

    await openEscrow(rc, jobId)
    const paid = await nextBlock(rc, ledger, { admitted: [signed] })
    expect(await judge(rc, ledger, paid)).toEqual({ ok: true })
  })

  it('judges at the block’s chain number, not at the latest state: the verdict never changes', async () => {
    const ledger = new Ledger(ZERO_HASH)
    const { signed, jobId } = jobRequest(rc)
    const early = await nextBlock(rc, ledger, { admitted: [signed] })
    await openEscrow(rc, jobId)
    // The escrow exists now, but not at the number the block names: every validator, whenever it
    // looks, sees the same missing escrow.
    expect(await judge(rc, ledger, early)).toMatchObject({ ok: false, code: 'ESCROW_MISSING' })
  })
})
