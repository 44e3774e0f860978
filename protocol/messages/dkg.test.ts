import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { canonicalBytes } from '../canonicalJson.ts'
import { openComplaint } from '../dkg/complaint.ts'
import { sealDealing } from '../dkg/dealing.ts'
import { DkgEvidenceError } from '../dkg/errors.ts'
import { signDkgMessage, verifyDkgMessage } from '../eip712/dkgSigning.ts'
import { DecodeError } from '../errors.ts'
import { type Hex32, toHex } from '../hex.ts'
import {
  DKG_SAMPLE_INSTANCE,
  DKG_SAMPLE_MEMBERS,
  DKG_SAMPLES,
  publicKeyOf,
  SAMPLE_DKG_DOMAIN,
  SAMPLE_DKG_KEYS,
  sampleCollectiveKey,
  sampleCommitments,
  sampleComplaint,
  sampleDealing,
} from '../testing/dkgSamples.ts'
import { thrown } from '../testing/thrown.ts'
import { collectiveKeySignatureCodec } from './collectiveKey.ts'
import { dkgCommitmentsCodec } from './dkgCommitments.ts'
import { type DkgComplaint, dkgComplaintCodec } from './dkgComplaint.ts'
import { dkgDealingCodec } from './dkgDealing.ts'
import { dkgInstance } from './dkgInstance.ts'
import { dkgRoundShareCodec } from './dkgRoundShare.ts'

const utf8 = (v: unknown) => canonicalBytes(v)

const decodeError = (decode: () => unknown) => thrown(DecodeError, decode)

describe('DKG wire messages', () => {
  it('every sample round-trips within its size limit', () => {
    for (const [codec, sample] of DKG_SAMPLES) {
      const bytes = codec.encode(sample)
      expect(codec.decode(bytes)).toEqual(sample)
      expect(bytes.length).toBeLessThanOrEqual(codec.maxBytes)
    }
  })

  it('refuses an instance id that does not hash its epoch, set and round, naming the field', () => {
    const forged = { ...sampleCommitments, instance: { ...sampleCommitments.instance, epoch: 4 } }
    const e = decodeError(() => dkgCommitmentsCodec.decode(utf8(forged)))
    expect(e.code).toBe('BAD_CONTENT_HASH')
    expect(e.path).toEqual(['instance', 'instanceId'])
  })

  it('names the bad field of a dealing, a round share, a complaint and a key signature', () => {
    const { dealing } = sampleDealing
    const badPoint = {
      ...dealing,
      sealed: { ...dealing.sealed, ephemeralPublicKey: `0x04${'ab'.repeat(32)}` },
    }
    expect(decodeError(() => dkgDealingCodec.decode(utf8(badPoint))).path).toEqual([
      'sealed',
      'ephemeralPublicKey',
    ])
    const toSelf = { ...dealing, recipient: 1 }
    expect(decodeError(() => dkgDealingCodec.decode(utf8(toSelf))).path).toEqual(['recipient'])
    const huge = {
      ...dealing,
      sealed: { ...dealing.sealed, ciphertext: { blobId: dealing.sealed.ciphertext.blobId, size: 2 ** 30 } },
    }
    expect(decodeError(() => dkgDealingCodec.decode(utf8(huge))).path).toEqual([
      'sealed',
      'ciphertext',
      'size',
    ])

    const [, reveal] = DKG_SAMPLES.filter(([c]) => c === dkgRoundShareCodec).map(([, s]) => s as object)
    const noElement = { ...reveal, galoisElement: null }
    expect(decodeError(() => dkgRoundShareCodec.decode(utf8(noElement))).path).toEqual(['galoisElement'])

    const otherOpening = {
      ...sampleComplaint,
      complainant: 3,
    }
    expect(decodeError(() => dkgComplaintCodec.decode(utf8(otherOpening))).path).toEqual(['openings'])
    const notAccused = { ...sampleComplaint, accused: 4 }
    expect(decodeError(() => dkgComplaintCodec.decode(utf8(notAccused))).path).toEqual(['commitments'])

    const [, signature] = DKG_SAMPLES.find(([c]) => c === collectiveKeySignatureCodec)!
    const swapped = { ...(signature as object), key: { ...sampleCollectiveKey, qualified: [1, 2, 3] } }
    expect(decodeError(() => collectiveKeySignatureCodec.decode(utf8(swapped))).path).toEqual(['keyHash'])
  })

  it('refuses oversized bytes before parsing them', () => {
    const e = decodeError(() => dkgComplaintCodec.decode(new Uint8Array(dkgComplaintCodec.maxBytes + 1)))
    expect(e.code).toBe('OVERSIZED')
  })

  it('a signature holds for its own kind, instance and body only', () => {
    expect(verifyDkgMessage(SAMPLE_DKG_DOMAIN, 'DkgCommitments', sampleCommitments)).toBe(true)
    expect(verifyDkgMessage(SAMPLE_DKG_DOMAIN, 'DkgDealing', sampleCommitments)).toBe(false)
    const moved = { ...sampleCommitments, perRecipient: [...sampleCommitments.perRecipient].reverse() }
    expect(verifyDkgMessage(SAMPLE_DKG_DOMAIN, 'DkgCommitments', moved)).toBe(false)
    const elsewhere = { ...sampleCommitments, instance: dkgInstance(3, DKG_SAMPLE_INSTANCE.setHash, 1) }
    expect(verifyDkgMessage(SAMPLE_DKG_DOMAIN, 'DkgCommitments', elsewhere)).toBe(false)
  })
})

describe('complaint evidence', () => {
  const committee = { instance: DKG_SAMPLE_INSTANCE, members: DKG_SAMPLE_MEMBERS }
  const blobs = new Map<Hex32, Uint8Array>([
    [sampleDealing.dealing.sealed.ciphertext.blobId, sampleDealing.ciphertext],
  ])
  const evidenceError = (complaint: DkgComplaint, blob = (id: Hex32) => blobs.get(id)) => {
    try {
      openComplaint(SAMPLE_DKG_DOMAIN, committee, complaint, blob)
    } catch (error) {
      if (error instanceof DkgEvidenceError) return error
      throw error
    }
    throw new Error('the evidence was accepted')
  }
  const complain = (fields: Partial<DkgComplaint>, key = SAMPLE_DKG_KEYS[1]) => {
    const { signer: _, signature: __, ...body } = { ...sampleComplaint, ...fields }
    return signDkgMessage<DkgComplaint>(SAMPLE_DKG_DOMAIN, 'DkgComplaint', key, body)
  }

  it('lets a third party read the very share the dealer sealed', () => {
    const opened = openComplaint(SAMPLE_DKG_DOMAIN, committee, sampleComplaint, (id) => blobs.get(id))
    expect(new TextDecoder().decode(opened.shares.get(2))).toBe('not a real share')
    expect(opened.accused).toBe(1)
    expect(opened.perRecipient.map(toHex)).toEqual(sampleCommitments.perRecipient)
  })

  it('refuses a dealing the recipient forged in the dealer’s name', () => {
    // the recipient seals a share of its choosing and signs the dealing itself
    const forged = sealDealing(SAMPLE_DKG_DOMAIN, SAMPLE_DKG_KEYS[1], {
      instance: DKG_SAMPLE_INSTANCE,
      dealer: 1,
      recipient: 2,
      recipientPublicKey: publicKeyOf(SAMPLE_DKG_KEYS[1]),
      commitmentsId: dkgCommitmentsCodec.id(sampleCommitments),
      share: new TextEncoder().encode('a share that frames member 1'),
    })
    const [opening] = sampleComplaint.openings
    const selfSigned = complain({ openings: [{ ...opening!, dealing: forged.dealing }] })
    blobs.set(forged.dealing.sealed.ciphertext.blobId, forged.ciphertext)
    expect(evidenceError(selfSigned).code).toBe('WRONG_MEMBER')
    // the same, claiming the dealer as signer: the signature does not recover to it
    const claimed = complain({
      openings: [{ ...opening!, dealing: { ...forged.dealing, signer: DKG_SAMPLE_MEMBERS[0]! } }],
    })
    expect(evidenceError(claimed).code).toBe('BAD_SIGNATURE')
    // the dealer's genuine signature over the original, with the forged ciphertext fields pasted in
    const pasted = complain({
      openings: [{ ...opening!, dealing: { ...opening!.dealing, sealed: forged.dealing.sealed } }],
    })
    expect(evidenceError(pasted).code).toBe('BAD_SIGNATURE')
  })

  it('refuses a shared point that is not the recipient’s, and ciphertext bytes that are not the signed ones', () => {
    const [opening] = sampleComplaint.openings
    const otherPoint = publicKeyOf(SAMPLE_DKG_KEYS[3])
    expect(evidenceError(complain({ openings: [{ ...opening!, sharedPoint: otherPoint }] })).code).toBe(
      'BAD_POINT_PROOF',
    )
    const other = new Uint8Array(sampleDealing.ciphertext)
    other[0]! ^= 1
    expect(evidenceError(sampleComplaint, () => other).code).toBe('BLOB_MISMATCH')
    expect(evidenceError(sampleComplaint, () => undefined).code).toBe('BLOB_MISSING')
    expect(toHex(sha256(sampleDealing.ciphertext))).toBe(opening!.dealing.sealed.ciphertext.blobId)
  })

  it('refuses a complaint not signed by its complainant, or made for another committee', () => {
    expect(evidenceError(complain({}, SAMPLE_DKG_KEYS[2])).code).toBe('WRONG_MEMBER')
    const elsewhere = { ...committee, instance: dkgInstance(4, DKG_SAMPLE_INSTANCE.setHash, 0) }
    expect(() => openComplaint(SAMPLE_DKG_DOMAIN, elsewhere, sampleComplaint, (id) => blobs.get(id))).toThrow(
      expect.objectContaining({ code: 'WRONG_INSTANCE' }),
    )
  })

  it('convicts a dealer that sealed the share to a key not the recipient’s, or under a non-point', () => {
    // The dealer signs a dealing the recipient cannot open at all: that is its fault, and the
    // complaint must convict it (undefined share), not be refused as bad evidence.
    const toWrongKey = sealDealing(SAMPLE_DKG_DOMAIN, SAMPLE_DKG_KEYS[0], {
      instance: DKG_SAMPLE_INSTANCE,
      dealer: 1,
      recipient: 2,
      recipientPublicKey: publicKeyOf(SAMPLE_DKG_KEYS[0]),
      commitmentsId: dkgCommitmentsCodec.id(sampleCommitments),
      share: new TextEncoder().encode('sealed to the dealer itself'),
    })
    blobs.set(toWrongKey.dealing.sealed.ciphertext.blobId, toWrongKey.ciphertext)
    const [opening] = sampleComplaint.openings
    const wrongKey = complain({
      kind: 'UNDECRYPTABLE',
      openings: [{ ...opening!, dealing: toWrongKey.dealing }],
    })
    const opened = openComplaint(SAMPLE_DKG_DOMAIN, committee, wrongKey, (id) => blobs.get(id))
    expect(opened.shares.has(2)).toBe(true)
    expect(opened.shares.get(2)).toBeUndefined()

    const { signer: _, signature: __, ...body } = sampleDealing.dealing
    const notAPoint = signDkgMessage<typeof sampleDealing.dealing>(
      SAMPLE_DKG_DOMAIN,
      'DkgDealing',
      SAMPLE_DKG_KEYS[0],
      {
        ...body,
        sealed: { ...body.sealed, ephemeralPublicKey: `0x02${'00'.repeat(32)}` },
      },
    )
    const badPoint = complain({ kind: 'UNDECRYPTABLE', openings: [{ ...opening!, dealing: notAPoint }] })
    const opened2 = openComplaint(SAMPLE_DKG_DOMAIN, committee, badPoint, (id) => blobs.get(id))
    expect(opened2.shares.has(2)).toBe(true)
    expect(opened2.shares.get(2)).toBeUndefined()
  })
})
