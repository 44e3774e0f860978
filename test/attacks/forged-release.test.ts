import { describe, expect, it } from 'vitest'
import { generatePrivateKey, type Hex32, QUALITY_SCALE } from '../../protocol/index.ts'
import {
  certifiedLedger,
  hex32,
  jobRequest,
  judge,
  nextBlock,
  openEscrow,
  releaseBy,
  useRulesChain,
} from '../support/rules-chain.ts'

/**
 * Finding: a block may carry a release signed by anyone. A Byzantine proposer
 * closes a certified job with a made-up quality score by signing the release
 * with its own key; the real owner's release then finds the job closed.
 */
describe('attack: a release signed by someone other than the vault owner', () => {
  const t = useRulesChain()

  it('is refused by block validity; the owner release of the same job is accepted', async () => {
    const { signed, jobId } = jobRequest(t.rc)
    await openEscrow(t.rc, jobId)
    const resultHash = hex32()
    const ledger = await certifiedLedger(t.rc, signed, resultHash)

    const attacker = generatePrivateKey()
    const forged = await nextBlock(t.rc, ledger, {
      released: [releaseBy(t.rc, attacker, jobId, resultHash, QUALITY_SCALE)],
    })
    const verdict = await judge(t.rc, ledger, forged)
    expect(verdict).toMatchObject({ ok: false, code: 'NOT_VAULT_OWNER' })

    const honest = await nextBlock(t.rc, ledger, {
      released: [releaseBy(t.rc, t.rc.seller.privateKey as Hex32, jobId, resultHash, 1)],
    })
    expect(await judge(t.rc, ledger, honest)).toEqual({ ok: true })
  })
})
