import { describe, expect, it } from 'vitest'
import { type Hex32, type ResultAttestation, signResultAttestation } from '../../protocol/index.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import { attestationGossip } from './attestation.ts'
import { domain, epoch, keys, outsider } from './testing/epoch.ts'

const h = (n: number): Hex32 => `0x${n.toString(16).padStart(64, '0')}`
const attest = (key: Hex32, jobId: Hex32) =>
  signResultAttestation(domain, key, { jobId, resultHash: h(2), execEnvHash: h(3) })

describe('attestation gossip', () => {
  const jobs = new Map<Hex32, Pick<LedgerJob, 'certified' | 'failedHeight'>>([
    [h(10), {}],
    [h(11), { certified: { height: 3, resultHash: h(2), execEnvHash: h(3) } }],
    [h(12), { failedHeight: 4 }],
  ])
  const pooled: ResultAttestation[] = []
  const attestations = attestationGossip({
    domain,
    validators: () => epoch.validators,
    job: (jobId) => jobs.get(jobId),
    pool: { add: (a) => pooled.push(a) },
  })

  it("accepts a validator's attestation of an open job, or of a job not decided here yet", () => {
    const a = attest(keys[2] as Hex32, h(10))
    expect(attestations.validate(a)).toBe('accept')
    expect(attestations.validate(attest(keys[2] as Hex32, h(99)))).toBe('accept')
    attestations.deliver(a)
    expect(pooled).toEqual([a])
  })

  it('rejects a forged signature and ignores outsiders and closed jobs', () => {
    const a = attest(keys[2] as Hex32, h(10))
    expect(attestations.validate({ ...a, resultHash: h(5) })).toBe('reject')
    expect(attestations.validate(attest(outsider, h(10)))).toBe('ignore')
    expect(attestations.validate(attest(keys[2] as Hex32, h(11)))).toBe('ignore')
    expect(attestations.validate(attest(keys[2] as Hex32, h(12)))).toBe('ignore')
  })
})
