import { describe, expect, it } from 'vitest'
import { type Eip712Domain, type Hex32, jobIdOf, type SignedJobRequest } from '../../protocol/index.ts'
import type { Verdict } from '../jobs/rules.ts'
import { signedRequest } from '../storage/testing/fixtures.ts'
import { jobGossip } from './job.ts'

/** The domain the storage fixtures sign requests under. */
const domain: Eip712Domain = {
  chainId: 31337n,
  verifyingContract: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
}

function gossip(verdict: Verdict, admitted: readonly Hex32[] = []) {
  const pending = new Map<Hex32, SignedJobRequest>()
  const jobs = jobGossip({
    domain,
    admitted: (jobId) => admitted.includes(jobId),
    pending,
    admissible: async () => verdict,
  })
  return { jobs, pending }
}

describe('job gossip', () => {
  it('accepts a signed, new, admissible request and keeps it pending', async () => {
    const { jobs, pending } = gossip({ ok: true })
    const signed = signedRequest(1)
    expect(await jobs.validate(signed)).toBe('accept')
    jobs.deliver(signed)
    expect([...pending.keys()]).toEqual([jobIdOf(signed.request)])
    expect(await jobs.validate(signed)).toBe('ignore')
  })

  it('rejects a request its buyer did not sign', async () => {
    const { jobs } = gossip({ ok: true })
    const signed = signedRequest(2)
    expect(await jobs.validate({ ...signed, request: { ...signed.request, maxPrice: '999999' } })).toBe(
      'reject',
    )
  })

  it('ignores what this node would not propose and what is admitted already', async () => {
    const refusing = gossip({ ok: false, code: 'PRICE_TOO_LOW', message: 'no' })
    expect(await refusing.jobs.validate(signedRequest(3))).toBe('ignore')
    const signed = signedRequest(4)
    const admitted = gossip({ ok: true }, [jobIdOf(signed.request) as Hex32])
    expect(await admitted.jobs.validate(signed)).toBe('ignore')
    admitted.jobs.deliver(signed)
    expect(admitted.pending.size).toBe(0)
  })
})
