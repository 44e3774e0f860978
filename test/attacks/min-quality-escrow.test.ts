import { describe, expect, it } from 'vitest'
import { Ledger } from '../../node/jobs/ledger.ts'
import { ZERO_HASH } from '../../protocol/index.ts'
import { REGRESSION_SPEC } from '../../sandbox/testing/regression.ts'
import { jobRequest, judge, nextBlock, openEscrow, useRulesChain } from '../support/rules-chain.ts'

/**
 * Finding: JobMarket records the least quality score an escrow pays for, but admission never compared
 * it with the one the buyer's signed spec states. A buyer who signs a spec with no minimum (so the
 * owner and validators take the job as unconditionally paid) and escrows a minimum of 1 gets the
 * result and, unless the score is perfect, the escrow back less the validators' fee: the owner is
 * never paid. Escrowing a lower minimum than signed is refused alike: the chain must hold the terms
 * that were signed, neither side's variant.
 */
describe('attack: escrow bound to another minimum quality than the signed spec', () => {
  const t = useRulesChain()

  const admit = async (signed: ReturnType<typeof jobRequest>['signed']) => {
    const ledger = new Ledger(ZERO_HASH)
    return judge(t.rc, ledger, await nextBlock(t.rc, ledger, { admitted: [signed] }))
  }
  const withMinimum = (minQuality: number) => ({
    ...REGRESSION_SPEC,
    expect: { ...REGRESSION_SPEC.expect, minQuality },
  })

  it('refuses an escrow that demands a perfect score for a spec that states no minimum', async () => {
    const { signed, jobId } = jobRequest(t.rc)
    await openEscrow(t.rc, jobId, { minQuality: 1_000_000 })
    expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_WRONG_MIN_QUALITY' })
  })

  it('refuses an escrow whose minimum is lower than the signed one', async () => {
    const { signed, jobId } = jobRequest(t.rc, { spec: withMinimum(0.9) })
    await openEscrow(t.rc, jobId, { minQuality: 500_000 })
    expect(await admit(signed)).toMatchObject({ ok: false, code: 'ESCROW_WRONG_MIN_QUALITY' })
  })

  it('admits an escrow bound to the signed minimum', async () => {
    const { signed, jobId } = jobRequest(t.rc, { spec: withMinimum(0.9) })
    await openEscrow(t.rc, jobId, { minQuality: 900_000 })
    expect(await admit(signed)).toEqual({ ok: true })
  })
})
