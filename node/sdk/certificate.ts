import {
  fromWireCertificate,
  hasQuorum,
  type ValidatorSet,
  verifyCommitCertificate,
} from '../../consensus/index.ts'
import {
  type Address,
  blockCodec,
  blockHash,
  commitCertificateCodec,
  createEip712Verifier,
  type Eip712Domain,
  type Hex32,
  type ResultCertificate,
  verifyResultAttestation,
} from '../../protocol/index.ts'
import { ClientError } from './errors.ts'
import type { DecidedBlock } from './types.ts'

export interface CertifiedResult {
  readonly height: number
  readonly epoch: number
  readonly certificate: ResultCertificate
}

/**
 * Checks, from signatures alone, that the network certified `resultHash` as
 * job `jobId`'s result: the block hashes to what its commit certificate
 * signs, more than 2/3 of the epoch's stake precommitted it, and the block's
 * result certificate for the job carries valid attestations of more than
 * 2/3 of the stake. `validators` must come from the chain, not from a node:
 * the node serving the block is exactly what is not trusted here. Shared by
 * the buyer's `Client.result` and the vault owner's agent.
 */
export function verifyCertifiedResult(
  decided: DecidedBlock,
  expected: { readonly jobId: Hex32; readonly resultHash: Hex32; readonly height: number },
  validators: ValidatorSet,
  domain: Eip712Domain,
): CertifiedResult {
  const refuse = (why: string) =>
    new ClientError('CERTIFICATE_INVALID', `job ${expected.jobId} at height ${expected.height}: ${why}`)
  const block = blockCodec.schema.safeParse(decided.block)
  const commit = commitCertificateCodec.schema.safeParse(decided.certificate)
  if (!block.success || !commit.success) throw refuse('malformed block or commit certificate')
  const b = block.data
  const c = commit.data
  if (b.height !== expected.height || c.height !== b.height || c.epoch !== b.epoch) {
    throw refuse(`the block is at height ${b.height}, its certificate at ${c.height}`)
  }
  const hash = blockHash(b)
  if (hash !== c.blockHash) throw refuse(`the block hashes to ${hash}, the certificate signs ${c.blockHash}`)
  const verifier = createEip712Verifier({ domain, epoch: c.epoch })
  if (!verifyCommitCertificate(fromWireCertificate(c), validators, verifier)) {
    throw refuse('the commit certificate lacks valid precommits of more than 2/3 of the stake')
  }
  const certificate = b.certified.find((r) => r.jobId === expected.jobId)
  if (!certificate) throw refuse('the block certifies no result for the job')
  if (certificate.resultHash !== expected.resultHash) {
    throw refuse(`the block certifies ${certificate.resultHash}, not ${expected.resultHash}`)
  }
  const attesters = new Set<Address>()
  for (const a of certificate.attestations) {
    const attestation = {
      version: 1 as const,
      jobId: certificate.jobId,
      resultHash: certificate.resultHash,
      execEnvHash: certificate.execEnvHash,
      ...a,
    }
    if (
      attesters.has(a.validator) ||
      !validators.has(a.validator) ||
      !verifyResultAttestation(domain, attestation)
    ) {
      throw refuse(`attestation by ${a.validator} is duplicated, not by a validator, or not validly signed`)
    }
    attesters.add(a.validator)
  }
  if (!hasQuorum(validators, attesters))
    throw refuse('the result attestations carry no more than 2/3 of the stake')
  return { height: b.height, epoch: b.epoch, certificate }
}
