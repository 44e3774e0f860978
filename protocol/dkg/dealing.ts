import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { proveDleq } from '../crypto/dleq.ts'
import { ECIES_SCHEME, eciesOpen, eciesSeal } from '../crypto/ecies.ts'
import { signDkgMessage } from '../eip712/dkgSigning.ts'
import type { Eip712Domain } from '../eip712/domain.ts'
import { fromHex, type Hex32, toHex } from '../hex.ts'
import type { DkgOpening } from '../messages/dkgComplaint.ts'
import { type DkgDealing, dkgShareContext } from '../messages/dkgDealing.ts'
import { DkgEvidenceError } from './errors.ts'

export interface DealingInput {
  readonly instance: DkgDealing['instance']
  readonly dealer: number
  readonly recipient: number
  readonly recipientPublicKey: DkgDealing['recipientPublicKey']
  readonly commitmentsId: Hex32
  /** the share polynomial's bytes (sandbox/threshold encodePoly) */
  readonly share: Uint8Array
  /**
   * Fixed ECIES randomness, derived by the dealer from its seed and (instance, recipient), so that a
   * dealing rebuilt after a restart is the persisted one byte for byte. Random when absent.
   */
  readonly randomness?: { ephemeralKey: Uint8Array; nonce: Uint8Array }
}

/** Seals a share to its recipient and signs the dealing; the ciphertext goes out as a blob. */
export function sealDealing(
  domain: Eip712Domain,
  dealerKey: Hex32,
  input: DealingInput,
): { dealing: DkgDealing; ciphertext: Uint8Array } {
  const sealed = eciesSeal(
    input.share,
    fromHex(input.recipientPublicKey),
    dkgShareContext(input),
    input.randomness ?? {},
  )
  const dealing = signDkgMessage<DkgDealing>(domain, 'DkgDealing', dealerKey, {
    version: 1,
    instance: input.instance,
    dealer: input.dealer,
    recipient: input.recipient,
    recipientPublicKey: input.recipientPublicKey,
    commitmentsId: input.commitmentsId,
    sealed: {
      scheme: ECIES_SCHEME,
      ephemeralPublicKey: toHex(sealed.ephemeralPublicKey),
      nonce: toHex(sealed.nonce),
      ciphertext: { blobId: toHex(sha256(sealed.ciphertext)), size: sealed.ciphertext.length },
    },
  })
  return { dealing, ciphertext: sealed.ciphertext }
}

export const dealingCiphertextParts = (dealing: DkgDealing, ciphertext: Uint8Array) => ({
  ephemeralPublicKey: fromHex(dealing.sealed.ephemeralPublicKey),
  nonce: fromHex(dealing.sealed.nonce),
  ciphertext,
})

/** The recipient's decryption of its share; undefined when the dealer's ciphertext does not open. */
export function openOwnDealing(
  dealing: DkgDealing,
  ciphertext: Uint8Array,
  recipientKey: Hex32,
): Uint8Array | undefined {
  try {
    return eciesOpen(
      dealingCiphertextParts(dealing, ciphertext),
      fromHex(recipientKey),
      dkgShareContext(dealing),
    )
  } catch {
    return undefined
  }
}

/** What the recipient reveals to let anyone open this one dealing: its ECDH point with a DLEQ proof. */
export function openingOf(dealing: DkgDealing, recipientKey: Hex32): DkgOpening {
  const privateKey = fromHex(recipientKey)
  if (toHex(secp256k1.getPublicKey(privateKey, true)) !== dealing.recipientPublicKey) {
    throw new DkgEvidenceError('WRONG_MEMBER', 'recipientKey', 'not the key the dealing was sealed to')
  }
  const { point, proof } = proveDleq(privateKey, fromHex(dealing.sealed.ephemeralPublicKey))
  return { dealing, sharedPoint: toHex(point), proof: { c: toHex(proof.c), s: toHex(proof.s) } }
}
