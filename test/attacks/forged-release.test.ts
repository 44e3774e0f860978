import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generatePrivateKey, type Hex32, QUALITY_SCALE } from '../../protocol/index.ts'
import {
  certifiedLedger,
  hex32,
  jobRequest,
  judge,
  nextBlock,
  openEscrow,
  type RulesChain,
  releaseBy,
  startRulesChain,
} from '../support/rules-chain.ts'

/**
 * Finding: a block may carry a release signed by anyone. A Byzantine proposer
 * closes a certified job with a made-up quality score by signing the release
 * with its own key; the real owner's release then finds the job closed.
 */
describe('attack: a release signed by someone other than the vault owner', () => {
  let rc: RulesChain
  beforeAll(async () => {
    rc = await startRulesChain()
  })
  afterAll(async () => rc?.stop())

  it('is refused by block validity; the owner release of the same job is accepted', async () => {
    const { signed, jobId } = jobRequest(rc)
    await openEscrow(rc, jobId)
    const resultHash = hex32()
    const ledger = await certifiedLedger(rc, signed, resultHash)

    const attacker = generatePrivateKey()
    const forged = await nextBlock(rc, ledger, {
      released: [releaseBy(rc, attacker, jobId, resultHash, QUALITY_SCALE)],
    })
    const verdict = await judge(rc, ledger, forged)
    expect(verdict).toMatchObject({ ok: false, code: 'NOT_VAULT_OWNER' })

    const honest = await nextBlock(rc, ledger, {
      released: [releaseBy(rc, rc.seller.privateKey as Hex32, jobId, resultHash, 1)],
    })
    expect(await judge(rc, ledger, honest)).toEqual({ ok: true })
  })
})
