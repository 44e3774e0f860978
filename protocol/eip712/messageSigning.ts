import type { TypedDataField } from 'ethers'
import type { Address, Hex, Hex32 } from '../hex.ts'
import type { ResultAttestation } from '../messages/attestation.ts'
import type { Contribution, PoolBan, SignedContribution } from '../messages/contribution.ts'
import type { JobRequest, SignedJobRequest } from '../messages/jobRequest.ts'
import type { Release } from '../messages/release.ts'
import { typedDataDigest } from './digests.ts'
import type { Eip712Domain } from './domain.ts'
import { addressOfPrivateKey, recoverAddress, signDigest } from './ecdsa.ts'
import {
  COMMITTEE_KEY_TYPES,
  CONTRIBUTION_TYPES,
  JOB_REQUEST_TYPES,
  POOL_BAN_TYPES,
  RELEASE_TYPES,
  RESULT_ATTESTATION_TYPES,
} from './structs.ts'

/** One signed message kind: how to sign its fields and whose signature it must carry. */
function typedSigning<Fields extends Record<string, unknown>>(types: Record<string, TypedDataField[]>) {
  return {
    sign: (domain: Eip712Domain, privateKey: Hex32, fields: Fields): Hex =>
      signDigest(privateKey, typedDataDigest(domain, types, fields)),
    signedBy: (domain: Eip712Domain, fields: Fields, signature: Hex, expected: Address): boolean =>
      recoverAddress(typedDataDigest(domain, types, fields), signature) === expected.toLowerCase(),
    /** signedBy for each of many signatures of the same fields: the digest computed once */
    eachSignedBy(
      domain: Eip712Domain,
      fields: Fields,
      signed: readonly { readonly signature: Hex; readonly signer: Address }[],
    ): boolean[] {
      const digest = typedDataDigest(domain, types, fields)
      return signed.map((s) => recoverAddress(digest, s.signature) === s.signer.toLowerCase())
    },
  }
}

const jobRequestSigning = typedSigning<Record<string, unknown>>(JOB_REQUEST_TYPES)
const attestationSigning =
  typedSigning<Pick<ResultAttestation, 'jobId' | 'resultHash' | 'execEnvHash'>>(RESULT_ATTESTATION_TYPES)
const releaseSigning =
  typedSigning<Pick<Release, 'jobId' | 'resultHash' | 'qualityScore' | 'sealedHash'>>(RELEASE_TYPES)

/** The fields of a job request its EIP-712 signature covers; a browser wallet signs these too (web/). */
export const jobRequestFields = (r: JobRequest) => ({
  vaultId: r.vaultId,
  specHash: r.algorithm.specHash,
  buyer: r.buyer,
  maxPrice: r.maxPrice,
  deadline: r.deadline,
  nonce: r.nonce,
  sealingPublicKey: r.sealingPublicKey,
})

export function signJobRequest(domain: Eip712Domain, buyerKey: Hex32, request: JobRequest): SignedJobRequest {
  return {
    version: 1,
    request,
    signature: jobRequestSigning.sign(domain, buyerKey, jobRequestFields(request)),
  }
}

export const verifyJobRequest = (domain: Eip712Domain, signed: SignedJobRequest): boolean =>
  jobRequestSigning.signedBy(domain, jobRequestFields(signed.request), signed.signature, signed.request.buyer)

export function signResultAttestation(
  domain: Eip712Domain,
  validatorKey: Hex32,
  fields: Pick<ResultAttestation, 'jobId' | 'resultHash' | 'execEnvHash'>,
): ResultAttestation {
  const { jobId, resultHash, execEnvHash } = fields
  const signature = attestationSigning.sign(domain, validatorKey, { jobId, resultHash, execEnvHash })
  return {
    version: 1,
    jobId,
    resultHash,
    execEnvHash,
    validator: addressOfPrivateKey(validatorKey),
    signature,
  }
}

export const verifyResultAttestation = (domain: Eip712Domain, a: ResultAttestation): boolean =>
  attestationSigning.signedBy(
    domain,
    { jobId: a.jobId, resultHash: a.resultHash, execEnvHash: a.execEnvHash },
    a.signature,
    a.validator,
  )

/**
 * verifyResultAttestation for every attestation of one result certificate: they all sign the same
 * fields, so the EIP-712 digest (JS keccak over the typed data) is computed once, not per attester.
 */
export const verifyResultAttestations = (
  domain: Eip712Domain,
  fields: Pick<ResultAttestation, 'jobId' | 'resultHash' | 'execEnvHash'>,
  attestations: readonly Pick<ResultAttestation, 'validator' | 'signature'>[],
): boolean[] =>
  attestationSigning.eachSignedBy(
    domain,
    { jobId: fields.jobId, resultHash: fields.resultHash, execEnvHash: fields.execEnvHash },
    attestations.map((a) => ({ signature: a.signature, signer: a.validator })),
  )

export function signRelease(
  domain: Eip712Domain,
  ownerKey: Hex32,
  fields: Pick<Release, 'jobId' | 'resultHash' | 'qualityScore' | 'components' | 'sealedHash'>,
): Release {
  const { jobId, resultHash, qualityScore, components, sealedHash } = fields
  const signature = releaseSigning.sign(domain, ownerKey, releaseStruct(fields))
  return {
    jobId,
    resultHash,
    qualityScore,
    components,
    sealedHash,
    owner: addressOfPrivateKey(ownerKey),
    signature,
  }
}

const releaseStruct = (
  r: Pick<Release, 'jobId' | 'resultHash' | 'qualityScore' | 'components' | 'sealedHash'>,
) => ({
  jobId: r.jobId,
  resultHash: r.resultHash,
  qualityScore: r.qualityScore,
  ...r.components,
  sealedHash: r.sealedHash,
})

export const verifyRelease = (domain: Eip712Domain, r: Release): boolean =>
  releaseSigning.signedBy(domain, releaseStruct(r), r.signature, r.owner)

/** What a committee member signs to approve its epoch's collective key; see COMMITTEE_KEY_TYPES. */
export interface CommitteeKeyFields {
  readonly epoch: number
  readonly setHash: Hex32
  readonly keyHash: Hex32
}

const committeeKeySigning = typedSigning<Record<string, unknown>>(COMMITTEE_KEY_TYPES)
const committeeKeyStruct = (f: CommitteeKeyFields) => ({
  epoch: f.epoch,
  setHash: f.setHash,
  keyHash: f.keyHash,
})

/** `domain.verifyingContract` must be the Anchor that will record the key, not the registry. */
export const signCommitteeKey = (domain: Eip712Domain, memberKey: Hex32, fields: CommitteeKeyFields): Hex =>
  committeeKeySigning.sign(domain, memberKey, committeeKeyStruct(fields))

export const verifyCommitteeKeySignature = (
  domain: Eip712Domain,
  fields: CommitteeKeyFields,
  signature: Hex,
  member: Address,
): boolean => committeeKeySigning.signedBy(domain, committeeKeyStruct(fields), signature, member)

const contributionSigning = typedSigning<Omit<Contribution, 'version'>>(CONTRIBUTION_TYPES)
const contributionStruct = (c: Contribution) => ({
  poolId: c.poolId,
  contributor: c.contributor,
  window: c.window,
  sequence: c.sequence,
  blobId: c.blobId,
})

export function signContribution(
  domain: Eip712Domain,
  contributorKey: Hex32,
  contribution: Contribution,
): SignedContribution {
  return {
    version: 1,
    contribution,
    signature: contributionSigning.sign(domain, contributorKey, contributionStruct(contribution)),
  }
}

export const verifyContribution = (domain: Eip712Domain, signed: SignedContribution): boolean =>
  contributionSigning.signedBy(
    domain,
    contributionStruct(signed.contribution),
    signed.signature,
    signed.contribution.contributor,
  )

const poolBanSigning = typedSigning<Pick<PoolBan, 'poolId' | 'contributor'>>(POOL_BAN_TYPES)

export function signPoolBan(
  domain: Eip712Domain,
  curatorKey: Hex32,
  fields: Pick<PoolBan, 'poolId' | 'contributor'>,
): PoolBan {
  const { poolId, contributor } = fields
  return {
    version: 1,
    poolId,
    contributor,
    signature: poolBanSigning.sign(domain, curatorKey, { poolId, contributor }),
  }
}

/** Whether `curator` signed the ban (the caller reads the curator from the pool's manifest). */
export const verifyPoolBan = (domain: Eip712Domain, ban: PoolBan, curator: Address): boolean =>
  poolBanSigning.signedBy(
    domain,
    { poolId: ban.poolId, contributor: ban.contributor },
    ban.signature,
    curator,
  )
