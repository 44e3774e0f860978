import type { Logger } from 'pino'
import {
  type Address,
  type DkgCommitments,
  type DkgComplaint,
  type DkgDealing,
  type DkgGossipBody,
  type DkgInstance,
  dkgCommitmentsCodec,
  dkgMessageDigest,
  type Eip712Domain,
  type Hex,
  type Hex32,
  openingOf,
  openOwnDealing,
  recoverPublicKey,
  signDkgMessage,
} from '../../protocol/index.ts'
import { decodePoly, type RnsBasis, type RnsPoly } from '../../sandbox/index.ts'
import type { DkgJournalStore, Journal } from './dkg-journal.ts'

/**
 * What the DKG and the reshare do alike on the `dkg` topic: sign a body, persist it before anyone
 * can see it, learn a member's public key from its signed commitments, fetch a blob that may not be
 * served yet.
 */
export interface DkgWire {
  readonly domain: Eip712Domain
  readonly validatorKey: Hex32
  readonly journal: DkgJournalStore
  readonly blobs: { fetch(id: Hex32): Promise<Uint8Array> }
  readonly publish: (body: DkgGossipBody) => Promise<void>
  readonly log: Logger
}

export type SignedDkgKind = 'DkgCommitments' | 'DkgDealing' | 'DkgRoundShare' | 'DkgComplaint'

export function signDkgBody<T extends { signer: Address; signature: Hex }>(
  wire: Pick<DkgWire, 'domain' | 'validatorKey'>,
  kind: SignedDkgKind,
  body: Omit<T, 'signer' | 'signature'>,
): T {
  return signDkgMessage<T & { instance: DkgInstance }>(
    wire.domain,
    kind,
    wire.validatorKey,
    body as Omit<T & { instance: DkgInstance }, 'signer' | 'signature'>,
  )
}

/**
 * Persist, then publish: the bodies are in the journal before any peer can see them. Returns the
 * journal as saved; `index` takes each body in before it goes out.
 */
export async function persistThenPublish(
  wire: Pick<DkgWire, 'journal' | 'publish' | 'log'>,
  journal: Journal,
  bodies: readonly DkgGossipBody[],
  index: (body: DkgGossipBody) => void,
): Promise<Journal> {
  if (bodies.length === 0) return journal
  const saved = { ...journal, sent: [...journal.sent, ...bodies] }
  await wire.journal.save(saved)
  for (const body of bodies) {
    index(body)
    await wire.publish(body).catch((err: unknown) => {
      wire.log.debug({ err }, 'DKG publish failed; the re-send will carry it')
    })
  }
  return saved
}

/**
 * A blob a message names, or undefined while no peer serves it: a withheld blob must not stop a
 * run; the step that needs it waits, and the deadlines still fall.
 */
export async function fetchIfServed(
  wire: Pick<DkgWire, 'blobs' | 'log'>,
  id: Hex32,
): Promise<Uint8Array | undefined> {
  try {
    return await wire.blobs.fetch(id)
  } catch (err) {
    wire.log.debug({ err, blobId: id }, 'DKG blob not available yet')
    return undefined
  }
}

/** The sealed dealings a complaint opens, by blob id: those no peer serves yet are left out. */
export async function complaintBlobs(
  wire: Pick<DkgWire, 'blobs' | 'log'>,
  complaint: DkgComplaint,
): Promise<Map<Hex32, Uint8Array>> {
  const blobs = new Map<Hex32, Uint8Array>()
  for (const o of complaint.openings) {
    const blobId = o.dealing.sealed.ciphertext.blobId
    const bytes = await fetchIfServed(wire, blobId)
    if (bytes !== undefined) blobs.set(blobId, bytes)
  }
  return blobs
}

/** A member's public key, from the signature on its own commitments: its address is all the chain holds. */
export const commitmentsPublicKey = (
  domain: Eip712Domain,
  c: DkgCommitments | undefined,
): Uint8Array | undefined =>
  c === undefined ? undefined : recoverPublicKey(dkgMessageDigest(domain, 'DkgCommitments', c), c.signature)

/** Test-only misbehaviour: a share off by one in one coefficient, so it no longer opens the dealer's commitment. */
export function corruptedShare(basis: RnsBasis, share: RnsPoly): RnsPoly {
  const limbs = share.limbs.map((l) => l.slice())
  limbs[0]![0] = (limbs[0]![0]! + 1n) % basis.primes[0]!
  return { limbs }
}

/**
 * The share a dealing seals to this member, once its commitments and ciphertext are in: `share` is
 * undefined when it does not decrypt or decode (the dealer's fault). Undefined while either is missing.
 */
export async function openDealtShare(
  wire: Pick<DkgWire, 'blobs' | 'log' | 'validatorKey'> & { readonly basis: RnsBasis },
  dealing: DkgDealing,
  commitments: DkgCommitments | undefined,
): Promise<{ share: RnsPoly | undefined } | undefined> {
  if (commitments === undefined || dkgCommitmentsCodec.id(commitments) !== dealing.commitmentsId)
    return undefined
  const ciphertext = await fetchIfServed(wire, dealing.sealed.ciphertext.blobId)
  if (ciphertext === undefined) return undefined
  const plain = openOwnDealing(dealing, ciphertext, wire.validatorKey)
  if (plain === undefined) return { share: undefined }
  try {
    return { share: decodePoly(wire.basis, plain, wire.basis.primes.length, `share of ${dealing.dealer}`) }
  } catch {
    return { share: undefined }
  }
}

/** The signed complaint naming a dealer whose sealed share to this member does not hold, with its opening as evidence. */
export function complaintAgainst(
  wire: Pick<DkgWire, 'domain' | 'validatorKey' | 'log'>,
  dealing: DkgDealing,
  commitments: DkgCommitments,
  decrypted: boolean,
  /** the log line's prefix: operators (and the e2e) find a DKG's complaints by it */
  what: 'DKG' | 'reshare',
): DkgGossipBody {
  const complaint = signDkgBody<DkgComplaint>(wire, 'DkgComplaint', {
    version: 1,
    instance: dealing.instance,
    kind: decrypted ? 'MISMATCH' : 'UNDECRYPTABLE',
    complainant: dealing.recipient,
    accused: dealing.dealer,
    commitments,
    openings: [openingOf(dealing, wire.validatorKey)],
  })
  wire.log.warn(
    { dealer: dealing.dealer, kind: complaint.kind },
    `${what}: dealt share does not hold; complaining`,
  )
  return { kind: 'DkgComplaint', body: complaint }
}
