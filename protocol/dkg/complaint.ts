import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { verifyDleq } from '../crypto/dleq.ts'
import { eciesOpenWithSharedPoint } from '../crypto/ecies.ts'
import { type DkgMessageKind, verifyDkgMessage } from '../eip712/dkgSigning.ts'
import type { Eip712Domain } from '../eip712/domain.ts'
import { publicKeyToAddress } from '../eip712/ecdsa.ts'
import { type Address, fromHex, type Hex32, toHex } from '../hex.ts'
import { dkgCommitmentsCodec } from '../messages/dkgCommitments.ts'
import type { DkgComplaint, DkgOpening } from '../messages/dkgComplaint.ts'
import { dkgShareContext } from '../messages/dkgDealing.ts'
import type { DkgInstance } from '../messages/dkgInstance.ts'
import { dealingCiphertextParts } from './dealing.ts'
import { DkgEvidenceError } from './errors.ts'

const isPoint = (bytes: Uint8Array): boolean => {
  try {
    secp256k1.Point.fromBytes(bytes)
    return true
  } catch {
    return false
  }
}

/** The committee a DKG instance runs in: its members' addresses in set order (member i is [i − 1]). */
export interface DkgCommittee {
  readonly instance: DkgInstance
  readonly members: readonly Address[]
}

/**
 * What a genuine complaint establishes about the accused dealer, in the form sandbox/threshold's
 * verifyComplaint takes once the shares are decoded: its signed commitments and, per opened
 * recipient, the plaintext it really sent (undefined when its ciphertext did not decrypt under the
 * recipient's proven key, itself a fault of the dealer).
 */
export interface OpenedComplaint {
  readonly kind: DkgComplaint['kind']
  readonly accused: number
  readonly perRecipient: readonly Uint8Array[]
  readonly shares: ReadonlyMap<number, Uint8Array | undefined>
}

/**
 * Checks that every piece of a complaint is what it claims: signed by the members it names, for
 * this instance, each opened share the one the dealer sealed. Throws DkgEvidenceError otherwise, so a
 * recipient cannot frame an honest dealer with a share the dealer never signed. `blob` returns the
 * bytes of a ciphertext blob by id (the caller fetches them like any other blob).
 */
export function openComplaint(
  domain: Eip712Domain,
  committee: DkgCommittee,
  complaint: DkgComplaint,
  blob: (blobId: Hex32) => Uint8Array | undefined,
): OpenedComplaint {
  const { members } = committee
  const memberAt = (index: number, field: string): Address => {
    const address = members[index - 1]
    if (address === undefined) {
      throw new DkgEvidenceError(
        'WRONG_MEMBER',
        field,
        `${index} is outside the ${members.length}-member set`,
      )
    }
    return address.toLowerCase() as Address
  }
  const signedBy = (
    kind: DkgMessageKind,
    m: Parameters<typeof verifyDkgMessage>[2],
    index: number,
    f: string,
  ) => {
    if (m.instance.instanceId !== committee.instance.instanceId) {
      throw new DkgEvidenceError('WRONG_INSTANCE', f, 'names another DKG instance')
    }
    if (m.signer.toLowerCase() !== memberAt(index, f)) {
      throw new DkgEvidenceError('WRONG_MEMBER', `${f}.signer`, `is not member ${index}`)
    }
    if (!verifyDkgMessage(domain, kind, m)) {
      throw new DkgEvidenceError('BAD_SIGNATURE', `${f}.signature`, `not signed by member ${index}`)
    }
  }

  signedBy('DkgComplaint', complaint, complaint.complainant, 'complaint')
  const { commitments } = complaint
  signedBy('DkgCommitments', commitments, complaint.accused, 'commitments')
  if (commitments.perRecipient.length !== members.length) {
    throw new DkgEvidenceError('COMMITMENTS_MISMATCH', 'commitments.perRecipient', 'not one per member')
  }
  const commitmentsId = dkgCommitmentsCodec.id(commitments)
  const shares = new Map<number, Uint8Array | undefined>()
  complaint.openings.forEach((opening, k) => {
    const f = `openings.${k}`
    shares.set(opening.dealing.recipient, openOne(opening, f))
  })
  return {
    kind: complaint.kind,
    accused: complaint.accused,
    perRecipient: commitments.perRecipient.map(fromHex),
    shares,
  }

  function openOne(opening: DkgOpening, f: string): Uint8Array | undefined {
    const { dealing } = opening
    signedBy('DkgDealing', dealing, complaint.accused, `${f}.dealing`)
    if (dealing.commitmentsId !== commitmentsId) {
      throw new DkgEvidenceError(
        'COMMITMENTS_MISMATCH',
        `${f}.dealing.commitmentsId`,
        'not the broadcast given',
      )
    }
    // From here on the dealer signed the dealing: a dealing no recipient could open (sealed to a key
    // that is not the recipient's, or under an ephemeral key that is not a point) is its fault, and
    // convicts it like a ciphertext that does not decrypt.
    const recipientKey = fromHex(dealing.recipientPublicKey)
    const ephemeralKey = fromHex(dealing.sealed.ephemeralPublicKey)
    if (!isPoint(ephemeralKey) || !isPoint(recipientKey)) return undefined
    if (publicKeyToAddress(recipientKey) !== memberAt(dealing.recipient, `${f}.dealing.recipient`)) {
      return undefined
    }
    const proof = { c: fromHex(opening.proof.c), s: fromHex(opening.proof.s) }
    const point = fromHex(opening.sharedPoint)
    if (!verifyDleq(recipientKey, ephemeralKey, point, proof)) {
      throw new DkgEvidenceError(
        'BAD_POINT_PROOF',
        `${f}.proof`,
        'the point is not the recipient’s ECDH point',
      )
    }
    const { blobId, size } = dealing.sealed.ciphertext
    const ciphertext = blob(blobId)
    if (ciphertext === undefined) throw new DkgEvidenceError('BLOB_MISSING', `${f}.ciphertext`, blobId)
    if (ciphertext.length !== size || toHex(sha256(ciphertext)) !== blobId) {
      throw new DkgEvidenceError('BLOB_MISMATCH', `${f}.ciphertext`, `the bytes do not hash to ${blobId}`)
    }
    try {
      return eciesOpenWithSharedPoint(
        dealingCiphertextParts(dealing, ciphertext),
        point,
        recipientKey,
        dkgShareContext(dealing),
      )
    } catch {
      // the proven key is the only one the ciphertext could be sealed under: the dealer sent garbage
      return undefined
    }
  }
}
