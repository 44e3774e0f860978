import { describe, expect, it } from 'vitest'
import {
  type AttestationBatch,
  addressOfPrivateKey,
  canonicalJson,
  DecodeError,
  type Hex32,
  type ResultAttestation,
  signResultAttestation,
} from '../../protocol/index.ts'
import { hex32Of as h } from '../../protocol/testing/hex32.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import { TOPIC_CODECS } from '../ports.ts'
import { attestationGossip } from './attestation.ts'
import { domain, epoch, keys, outsider } from './testing/epoch.ts'

const attest = (key: Hex32, jobId: Hex32) =>
  signResultAttestation(domain, key, { jobId, resultHash: h(2), execEnvHash: h(3) })
const batchOf = (key: Hex32, jobIds: Hex32[]): AttestationBatch => ({
  version: 1,
  validator: addressOfPrivateKey(key),
  attestations: jobIds.map((jobId) => attest(key, jobId)),
})
const validator = keys[2] as Hex32

describe('attestation gossip', () => {
  const jobs = new Map<Hex32, Pick<LedgerJob, 'certified' | 'failedHeight'>>([
    [h(10), {}],
    [h(11), { certified: { height: 3, resultHash: h(2), execEnvHash: h(3) } }],
    [h(12), { failedHeight: 4 }],
    [h(13), {}],
  ])
  const handler = (pooled: ResultAttestation[]) =>
    attestationGossip({
      domain,
      validators: () => epoch.validators,
      job: (jobId) => jobs.get(jobId),
      pool: { add: (a) => pooled.push(a) },
    })

  it("refuses at decode a batch carrying another validator's attestation", () => {
    const batch = batchOf(validator, [h(10)])
    const foreign = { ...batch, attestations: [...batch.attestations, attest(keys[3] as Hex32, h(13))] }
    const bytes = new TextEncoder().encode(canonicalJson(foreign))
    expect(() => TOPIC_CODECS.attestations.decode(bytes)).toThrow(DecodeError)
  })

  it('rejects a batch with one forged signature among valid ones', () => {
    const batch = batchOf(validator, [h(10), h(13), h(99)])
    const [first, second, third] = batch.attestations
    const forged = { ...batch, attestations: [first!, { ...second!, resultHash: h(5) }, third!] }
    expect(handler([]).validate(forged)).toBe('reject')
    // signed by a key that is not the named validator's
    const borrowed = { ...attest(keys[1] as Hex32, h(13)), validator: batch.validator }
    expect(handler([]).validate({ ...batch, attestations: [first!, borrowed] })).toBe('reject')
  })

  it("accepts a validator's batch and delivers every attestation, of open jobs and jobs not decided here yet", () => {
    const pooled: ResultAttestation[] = []
    const attestations = handler(pooled)
    const batch = batchOf(validator, [h(10), h(13), h(99)])
    expect(attestations.validate(batch)).toBe('accept')
    attestations.deliver(batch)
    expect(pooled).toEqual(batch.attestations)
  })

  it('delivers only the attestations of jobs still open', () => {
    const pooled: ResultAttestation[] = []
    const attestations = handler(pooled)
    const batch = batchOf(validator, [h(11), h(10), h(12)])
    expect(attestations.validate(batch)).toBe('accept')
    attestations.deliver(batch)
    expect(pooled).toEqual([batch.attestations[1]])
  })

  it("ignores a non-member's batch and a batch whose jobs are all certified or failed", () => {
    expect(handler([]).validate(batchOf(outsider, [h(10)]))).toBe('ignore')
    const closed = batchOf(validator, [h(11), h(12)])
    expect(handler([]).validate(closed)).toBe('ignore')
    // nothing in it would be used, so no signature is recovered to find out who to blame
    const [first, second] = closed.attestations
    const forged = { ...closed, attestations: [first!, { ...second!, resultHash: h(5) }] }
    expect(handler([]).validate(forged)).toBe('ignore')
  })
})
