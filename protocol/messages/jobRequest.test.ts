import { describe, expect, it } from 'vitest'
import { canonicalBytes } from '../canonicalJson.ts'
import { DecodeError } from '../errors.ts'
import { sampleJobRequest } from '../testing/samples.ts'
import { type JobRequest, jobIdOf, jobIdOfParsed, jobRequestCodec, specHash } from './jobRequest.ts'

const spec = { version: 1, outputs: { mean: { mean: 'age' } } }
const withSpec = (s: unknown, hash = specHash(s)): JobRequest => ({
  ...sampleJobRequest,
  algorithm: { spec: s as JobRequest['algorithm']['spec'], specHash: hash },
})
const decode = (r: JobRequest) => jobRequestCodec.decode(canonicalBytes(r))

describe('a request binds its spec by hash, remembered or not', () => {
  it("refuses a spec under another spec's hash, also once both hashes are remembered", () => {
    const other = { version: 1, outputs: { mean: { mean: 'income' } } }
    expect(decode(withSpec(spec)).algorithm.specHash).toBe(specHash(spec))
    expect(decode(withSpec(other)).algorithm.specHash).toBe(specHash(other))
    expect(() => decode(withSpec(other, specHash(spec)))).toThrow(DecodeError)
    expect(() => decode(withSpec(spec, specHash(other)))).toThrow(DecodeError)
    // The same content with its keys in another order is the same spec (the canonical form).
    const reordered = { outputs: { mean: { mean: 'age' } }, version: 1 }
    expect(decode(withSpec(reordered, specHash(spec))).algorithm.specHash).toBe(specHash(spec))
  })

  it('names a request as its canonical bytes hash it, remembered per object', () => {
    const request = withSpec(spec)
    const id = jobIdOf(request)
    expect(jobIdOf(request)).toBe(id)
    expect(jobIdOf(decode(request))).toBe(id)
    expect(jobIdOf({ ...request, nonce: `0x${'77'.repeat(32)}` })).not.toBe(id)
  })

  it('names a parsed request by its JSON text as its canonical bytes would', () => {
    const request = withSpec(spec)
    expect(jobIdOfParsed(decode(request))).toBe(jobIdOf(request))
    expect(jobIdOfParsed(decode(request))).toBe(jobIdOf(request))
    const other = decode({ ...request, maxPrice: '11' })
    expect(jobIdOfParsed(other)).toBe(jobIdOf({ ...request, maxPrice: '11' }))
    expect(jobIdOfParsed(other)).not.toBe(jobIdOf(request))
  })
})
