import { canonicalBytes } from '../canonicalJson.ts'
import { type Address, type Hex, type Hex32, keccak256 } from '../hex.ts'
import type { DkgInstance } from '../messages/dkgInstance.ts'
import { typedDataDigest } from './digests.ts'
import type { Eip712Domain } from './domain.ts'
import { addressOfPrivateKey, recoverAddress, signDigest } from './ecdsa.ts'
import { DKG_MESSAGE_TYPES } from './structs.ts'

/** The DKG messages' kinds as their codecs name them. */
export type DkgMessageKind = 'DkgCommitments' | 'DkgDealing' | 'DkgRoundShare' | 'DkgComplaint'

interface SignedDkgBody {
  readonly instance: DkgInstance
  readonly signer: Address
  readonly signature: Hex
}

/** The EIP-712 digest a DKG message's signature signs (its signature field left out). */
export const dkgMessageDigest = (
  domain: Eip712Domain,
  kind: DkgMessageKind,
  body: Omit<SignedDkgBody, 'signature'>,
): Hex32 => {
  const { signature: _, ...unsigned } = body as SignedDkgBody
  return typedDataDigest(domain, DKG_MESSAGE_TYPES, {
    kind,
    instanceId: body.instance.instanceId,
    bodyHash: keccak256(canonicalBytes(unsigned)),
  })
}

/** Fills in signer and signature; domain is the network's (the ValidatorRegistry). */
export function signDkgMessage<T extends SignedDkgBody>(
  domain: Eip712Domain,
  kind: DkgMessageKind,
  privateKey: Hex32,
  body: Omit<T, 'signer' | 'signature'>,
): T {
  const withSigner = { ...body, signer: addressOfPrivateKey(privateKey) }
  return { ...withSigner, signature: signDigest(privateKey, dkgMessageDigest(domain, kind, withSigner)) } as T
}

/** Whether `message.signer` signed exactly this message as `kind`. */
export const verifyDkgMessage = (
  domain: Eip712Domain,
  kind: DkgMessageKind,
  message: SignedDkgBody,
): boolean =>
  recoverAddress(dkgMessageDigest(domain, kind, message), message.signature) === message.signer.toLowerCase()
