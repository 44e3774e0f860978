import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from './canonicalJson.ts'
import { DecodeError, EncodeError } from './errors.ts'
import type { Hex32 } from './hex.ts'
import { blockCodec } from './messages/block.ts'
import {
  type CommitCertificate,
  commitCertificateCodec,
  type ProposalMessage,
  proposalMessageCodec,
  type VoteMessage,
  voteMessageCodec,
} from './messages/consensus.ts'
import { jobRequestCodec, signedJobRequestCodec } from './messages/jobRequest.ts'
import { decidedRecordCodec, encodeDecidedRecord } from './messages/status.ts'
import { vaultManifestCodec } from './messages/vaultManifest.ts'
import { SAMPLES, sampleBlock, sampleJobRequest, sampleManifest } from './testing/samples.ts'
import { thrown } from './testing/thrown.ts'

const utf8 = (s: string) => new TextEncoder().encode(s)

const decodeError = (decode: () => unknown) => thrown(DecodeError, decode)

describe('canonical JSON', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], A: { z: 0, é: 1 } })).toBe(
      '{"A":{"z":0,"é":1},"a":[true,null,"x"],"b":1}',
    )
  })

  it('refuses values JSON cannot carry exactly', () => {
    expect(() => canonicalJson(1n)).toThrow('bigint')
    expect(() => canonicalJson(Number.NaN)).toThrow('non-finite')
  })

  it('spells every value as the plain definition does: sorted entries, undefined members dropped', () => {
    // The definition, written for clarity rather than speed, against the loops canonicalJson uses.
    const reference = (value: unknown): string => {
      if (typeof value !== 'object' || value === null) return JSON.stringify(value)
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`
      const entries = Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`
    }
    const members = fc.dictionary(fc.string(), fc.option(fc.jsonValue(), { nil: undefined }))
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), members, fc.array(members)), (value) => {
        expect(canonicalJson(value)).toBe(reference(value))
      }),
      { numRuns: 500 },
    )
    for (const [, sample] of SAMPLES) expect(canonicalJson(sample)).toBe(reference(sample))
    // Keys that sort differently by code unit than by code point, and an array's hole.
    const holed = [1, 2, 3]
    delete holed[1]
    const tricky = { '\u{1f600}': 1, '\uff61': 2, a: holed, '': { z: undefined, y: null } }
    expect(canonicalJson(tricky)).toBe(reference(tricky))
  })
})

describe.each(SAMPLES.map(([codec, sample]) => [codec.kind, codec, sample] as const))(
  '%s codec',
  (_, codec, sample) => {
    it('round-trips its sample and ids it by keccak of the bytes', () => {
      const bytes = codec.encode(sample)
      expect(codec.decode(bytes)).toEqual(sample)
      expect(codec.id(sample)).toMatch(/^0x[0-9a-f]{64}$/)
      expect(bytes.length).toBeLessThanOrEqual(codec.maxBytes)
    })

    it('only ever throws DecodeError on random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
          expect(() => codec.decode(bytes)).toThrow(DecodeError)
        }),
        { numRuns: 300 },
      )
    })

    it('only ever throws DecodeError on mutated valid messages, and accepts only canonical ones', () => {
      const valid = codec.encode(sample)
      const mutation = fc.oneof(
        fc
          .record({ at: fc.nat(valid.length - 1), byte: fc.integer({ min: 0, max: 255 }) })
          .map(({ at, byte }) => {
            const copy = valid.slice()
            copy[at] = byte
            return copy
          }),
        fc.nat(valid.length).map((end) => valid.slice(0, end)),
        fc.record({ at: fc.nat(valid.length), text: fc.string({ maxLength: 8 }) }).map(({ at, text }) => {
          const inserted = utf8(text)
          const out = new Uint8Array(valid.length + inserted.length)
          out.set(valid.subarray(0, at))
          out.set(inserted, at)
          out.set(valid.subarray(at), at + inserted.length)
          return out
        }),
      )
      fc.assert(
        fc.property(mutation, (bytes) => {
          try {
            const decoded = codec.decode(bytes)
            expect(codec.encode(decoded)).toEqual(bytes)
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError)
          }
        }),
        { numRuns: 300 },
      )
    })
  },
)

describe('decode errors', () => {
  const request = () => JSON.parse(canonicalJson(sampleJobRequest)) as Record<string, unknown>

  it('carries nothing of a refused message into the next: the UTF-8 decoder is shared', () => {
    const valid = jobRequestCodec.encode(sampleJobRequest)
    // Ends inside a three-byte sequence: a streaming decoder would hold those bytes for the next call.
    const truncated = Uint8Array.of(...utf8('{"a":"'), 0xe2, 0x82)
    expect(decodeError(() => jobRequestCodec.decode(truncated)).code).toBe('MALFORMED')
    expect(jobRequestCodec.decode(valid)).toEqual(sampleJobRequest)
    expect(decodeError(() => jobRequestCodec.decode(Uint8Array.of(0xff)))).toBeInstanceOf(DecodeError)
    expect(jobRequestCodec.decode(valid)).toEqual(sampleJobRequest)
  })

  it('names the code and the field path', () => {
    expect(decodeError(() => jobRequestCodec.decode(new Uint8Array(20_000))).code).toBe('OVERSIZED')
    expect(decodeError(() => jobRequestCodec.decode(Uint8Array.of(0xff, 0xfe))).code).toBe('MALFORMED')
    expect(decodeError(() => jobRequestCodec.decode(utf8('[1,2'))).code).toBe('MALFORMED')
    expect(
      decodeError(() => jobRequestCodec.decode(utf8(canonicalJson({ ...request(), version: 2 })))).code,
    ).toBe('BAD_VERSION')
    const badBuyer = decodeError(() =>
      jobRequestCodec.decode(utf8(canonicalJson({ ...request(), buyer: '0xAB' }))),
    )
    expect([badBuyer.code, badBuyer.path]).toEqual(['SCHEMA', ['buyer']])
    const extra = decodeError(() => jobRequestCodec.decode(utf8(canonicalJson({ ...request(), extra: 1 }))))
    expect(extra.code).toBe('SCHEMA')
    expect(decodeError(() => jobRequestCodec.decode(utf8(JSON.stringify(request(), null, 1)))).code).toBe(
      'NON_CANONICAL',
    )
    const deep = `{"version":1,"x":${'['.repeat(200)}${']'.repeat(200)}}`
    expect(decodeError(() => jobRequestCodec.decode(utf8(deep))).code).toBe('MALFORMED')
  })

  it('checks embedded hashes against the content they name', () => {
    const tamperedSpec = {
      ...sampleJobRequest,
      algorithm: { ...sampleJobRequest.algorithm, spec: { version: 2 } },
    }
    const specError = decodeError(() => jobRequestCodec.decode(utf8(canonicalJson(tamperedSpec))))
    expect([specError.code, specError.path]).toEqual(['SCHEMA', ['algorithm', 'specHash']])
    const renamed = { ...sampleManifest, recordCount: sampleManifest.recordCount + 1 }
    const idError = decodeError(() => vaultManifestCodec.decode(utf8(canonicalJson(renamed))))
    expect([idError.code, idError.path]).toEqual(['BAD_CONTENT_HASH', ['vaultId']])
  })

  it('refuses a block with more jobs than a block may carry', () => {
    const crowded = { ...sampleBlock, failed: Array.from({ length: 1025 }, () => sampleBlock.failed[0]!) }
    const error = decodeError(() => blockCodec.decode(utf8(canonicalJson(crowded))))
    expect([error.code, error.path]).toEqual(['SCHEMA', ['failed']])
  })
})

describe('values a codec checked once', () => {
  const commitCertificate = SAMPLES.find(
    ([codec]) => codec === commitCertificateCodec,
  )![1] as CommitCertificate

  it('decodes to a frozen value whose encoding and id are the bytes it came from, computed once', () => {
    const bytes = blockCodec.encode(sampleBlock)
    const block = blockCodec.decode(bytes)
    expect(Object.isFrozen(block)).toBe(true)
    expect(Object.isFrozen(block.admitted[0]!.request.algorithm)).toBe(true)
    expect(blockCodec.knows(block)).toBe(true)
    expect(blockCodec.encode(block)).toEqual(bytes)
    expect(blockCodec.id(block)).toBe(blockCodec.id(sampleBlock))
    expect(() => {
      ;(block as { height: number }).height = 13
    }).toThrow(TypeError)
  })

  it('adopts the parts other codecs hash: the requests of a decoded proposal', () => {
    const proposal = SAMPLES.find(([codec]) => codec === proposalMessageCodec)![1] as ProposalMessage
    const decoded = proposalMessageCodec.decode(proposalMessageCodec.encode(proposal))
    const signed = decoded.block.admitted[0]!
    expect(blockCodec.knows(decoded.block)).toBe(true)
    expect(signedJobRequestCodec.knows(signed)).toBe(true)
    expect(jobRequestCodec.knows(signed.request)).toBe(true)
    expect(jobRequestCodec.id(signed.request)).toBe(jobRequestCodec.id(sampleJobRequest))
  })

  it('gives a re-sent vote new bytes and the same vote, and refuses a resentAt that is no timestamp', () => {
    const vote = SAMPLES.find(([codec]) => codec === voteMessageCodec)![1] as VoteMessage
    const resent = { ...vote, resentAt: 1_764_000_000_000 }
    const bytes = voteMessageCodec.encode(resent)
    expect(bytes).not.toEqual(voteMessageCodec.encode(vote))
    const decoded = voteMessageCodec.decode(bytes)
    expect(decoded.vote).toEqual(vote.vote)
    expect(decoded.signature).toBe(vote.signature)
    expect(decoded.resentAt).toBe(resent.resentAt)
    for (const resentAt of [0, -1, 1.5, '1764000000000'])
      expect(() => voteMessageCodec.encode({ ...vote, resentAt } as unknown as VoteMessage)).toThrow(
        EncodeError,
      )
  })

  it('adopts only frozen values, and knows nothing it was merely asked to encode', () => {
    const loose = structuredClone(sampleJobRequest)
    jobRequestCodec.adopt(loose)
    jobRequestCodec.encode(loose)
    expect(jobRequestCodec.knows(loose)).toBe(false)
    // Still checked in full: a value changed after an encode is encoded as it is now, or refused.
    ;(loose as { vaultId: string }).vaultId = 'not a hash'
    expect(() => jobRequestCodec.encode(loose)).toThrow(EncodeError)
  })

  it('check returns a frozen, known copy of a valid value and refuses an invalid one', () => {
    const built = structuredClone(sampleBlock)
    const checked = blockCodec.check(built)
    expect(checked).toEqual(sampleBlock)
    expect(Object.isFrozen(checked)).toBe(true)
    expect(Object.isFrozen(built)).toBe(false)
    expect(blockCodec.knows(checked)).toBe(true)
    expect(blockCodec.encode(checked)).toEqual(blockCodec.encode(sampleBlock))
    expect(() => blockCodec.check({ ...sampleBlock, height: -1 })).toThrow(EncodeError)
  })

  it('encodes a decided record over a checked block exactly as the codec does, and still checks the rest', () => {
    const block = blockCodec.check(structuredClone(sampleBlock))
    const record = { version: 1, block, certificate: commitCertificate, prev: null } as const
    expect(encodeDecidedRecord(record)).toEqual(decidedRecordCodec.encode(record))
    const unchecked = { ...record, block: structuredClone(sampleBlock) }
    expect(encodeDecidedRecord(unchecked)).toEqual(decidedRecordCodec.encode(record))
    const badCertificate = { ...record, certificate: { ...commitCertificate, precommits: [] } }
    expect(() => encodeDecidedRecord(badCertificate)).toThrow(EncodeError)
    expect(() => encodeDecidedRecord({ ...record, prev: '0x12' as Hex32 })).toThrow(EncodeError)
  })
})
