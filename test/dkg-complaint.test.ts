import { randomBytes } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  type DkgCommitments,
  type DkgComplaint,
  DkgEvidenceError,
  dkgCommitmentsCodec,
  dkgComplaintCodec,
  dkgInstance,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  openComplaint,
  openingOf,
  openOwnDealing,
  sealDealing,
  signDkgMessage,
  toHex,
} from '../protocol/index.ts'
import {
  bftCommittee,
  type Dealing,
  deal,
  decodePoly,
  encodePoly,
  heContext,
  type MemberSecret,
  newMemberSecret,
  type RnsBasis,
  rnsBasis,
  verifyComplaint,
} from '../sandbox/index.ts'

// A DKG complaint carried on the wire, checked by a third party with sandbox/threshold's maths:
// a dealer that sent a share not opening its commitment is convicted; an honest dealer cannot be
// framed by its recipient.

const committee = bftCommittee(4)
const domain: Eip712Domain = { chainId: 31337n, verifyingContract: toHex(randomBytes(20)) }
const keys = Array.from({ length: 4 }, generatePrivateKey)
const members = keys.map(addressOfPrivateKey)
const instance = dkgInstance(5, toHex(randomBytes(32)), 0)
const publicKeyOf = (key: Hex32) => toHex(secp256k1.getPublicKey(Buffer.from(key.slice(2), 'hex'), true))
let basis: RnsBasis
let secrets: MemberSecret[]

beforeAll(async () => {
  basis = rnsBasis(await heContext('ckks-8192'))
  secrets = [1, 2, 3, 4].map((i) => newMemberSecret(committee, i))
})

/** Dealer d's signed broadcast and its sealed dealing to `recipient` of `share` (its genuine one by default). */
function wire(d: number, dealing: Dealing, recipient: number, share = dealing.shares[recipient - 1]!) {
  const commitments = signDkgMessage<DkgCommitments>(domain, 'DkgCommitments', keys[d - 1]!, {
    version: 1,
    instance,
    dealer: d,
    perRecipient: dealing.commitments.perRecipient.map(toHex),
  })
  const sealed = sealDealing(domain, keys[d - 1]!, {
    instance,
    dealer: d,
    recipient,
    recipientPublicKey: publicKeyOf(keys[recipient - 1]!),
    commitmentsId: dkgCommitmentsCodec.id(commitments),
    share: encodePoly(share),
  })
  return { commitments, ...sealed }
}

function complaintBy(recipient: number, accused: number, w: ReturnType<typeof wire>): DkgComplaint {
  return signDkgMessage<DkgComplaint>(domain, 'DkgComplaint', keys[recipient - 1]!, {
    version: 1,
    instance,
    kind: 'MISMATCH',
    complainant: recipient,
    accused,
    commitments: w.commitments,
    openings: [openingOf(w.dealing, keys[recipient - 1]!)],
  })
}

/** What any node does with a complaint off the wire: decode, open the evidence, run the maths. */
function convicts(bytes: Uint8Array, blobs: Map<Hex32, Uint8Array>): boolean {
  const complaint = dkgComplaintCodec.decode(bytes)
  const opened = openComplaint(domain, { instance, members }, complaint, (id) => blobs.get(id))
  const [recipient, plaintext] = [...opened.shares][0]!
  if (plaintext === undefined) return true
  return verifyComplaint(basis, committee, {
    kind: 'MISMATCH',
    dealer: opened.accused,
    recipient,
    commitments: {
      instanceId: instance.instanceId,
      dealer: opened.accused,
      perRecipient: opened.perRecipient,
    },
    share: decodePoly(basis, plaintext, basis.primes.length, 'opened share'),
  })
}

describe('DKG complaint on the wire', () => {
  it('a signed bad dealing convinces a third party', () => {
    const dealing = deal(basis, secrets[0]!, instance.instanceId)
    // dealer 1 commits to its real shares, then sends member 2 another one
    const bad = { limbs: dealing.shares[1]!.limbs.map((l) => l.slice()) }
    bad.limbs[0]![0] = (bad.limbs[0]![0]! + 1n) % basis.primes[0]!
    const w = wire(1, dealing, 2, bad)
    // member 2 decrypts what it received and finds it does not open the commitment
    const received = openOwnDealing(w.dealing, w.ciphertext, keys[1]!)
    expect(received).toEqual(encodePoly(bad))
    const bytes = dkgComplaintCodec.encode(complaintBy(2, 1, w))
    console.log(`complaint: ${bytes.length} bytes, ciphertext blob ${w.ciphertext.length} bytes`)
    expect(convicts(bytes, new Map([[w.dealing.sealed.ciphertext.blobId, w.ciphertext]]))).toBe(true)
  })

  it('an honest dealer cannot be framed: its genuine share acquits it, a forged dealing is refused', () => {
    const dealing = deal(basis, secrets[2]!, instance.instanceId)
    const w = wire(3, dealing, 2)
    const blobs = new Map([[w.dealing.sealed.ciphertext.blobId, w.ciphertext]])
    expect(convicts(dkgComplaintCodec.encode(complaintBy(2, 3, w)), blobs)).toBe(false)

    // member 2 seals itself a bad share "from" dealer 3, under dealer 3's real commitments
    const bad = { limbs: dealing.shares[1]!.limbs.map((l) => l.slice()) }
    bad.limbs[0]![0] = (bad.limbs[0]![0]! + 1n) % basis.primes[0]!
    const forged = sealDealing(domain, keys[1]!, {
      instance,
      dealer: 3,
      recipient: 2,
      recipientPublicKey: publicKeyOf(keys[1]!),
      commitmentsId: w.dealing.commitmentsId,
      share: encodePoly(bad),
    })
    blobs.set(forged.dealing.sealed.ciphertext.blobId, forged.ciphertext)
    for (const dealingOnWire of [forged.dealing, { ...forged.dealing, signer: members[2]! }]) {
      const framing = complaintBy(2, 3, { ...w, dealing: dealingOnWire, ciphertext: forged.ciphertext })
      expect(() => convicts(dkgComplaintCodec.encode(framing), blobs)).toThrow(DkgEvidenceError)
    }
  })
})
