import {
  fromWireCertificate,
  hasQuorum,
  type ValidatorSet,
  verifyCommitCertificate,
} from '../../consensus/index.ts'
import {
  type Address,
  type Block,
  blockCodec,
  blockHash,
  commitCertificateCodec,
  createEip712Verifier,
  type Eip712Domain,
  type Hex32,
  type ResultCertificate,
  verifyResultAttestations,
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
  const block = verifyDecidedBlock(decided, expected.height, validators, domain, expected.jobId)
  return verifyCertifiedJob(block, expected)
}

/** A decided block whose hash and commit certificate checked out against an epoch's validator set. */
export interface VerifiedBlock {
  readonly block: Block
  readonly validators: ValidatorSet
  readonly domain: Eip712Domain
}

/**
 * The block half of verifyCertifiedResult: the block parses, hashes to what its commit certificate
 * signs, and more than 2/3 of the stake precommitted it. Pure in its arguments, so a holder of many
 * jobs certified in one block (the vault agent in a burst) may check it once for all of them.
 */
export function verifyDecidedBlock(
  decided: DecidedBlock,
  height: number,
  validators: ValidatorSet,
  domain: Eip712Domain,
  jobId?: Hex32,
): VerifiedBlock {
  const refuse = (why: string) =>
    new ClientError(
      'CERTIFICATE_INVALID',
      `${jobId === undefined ? 'block' : `job ${jobId}`} at height ${height}: ${why}`,
    )
  const block = blockCodec.schema.safeParse(decided.block)
  const commit = commitCertificateCodec.schema.safeParse(decided.certificate)
  if (!block.success || !commit.success) throw refuse('malformed block or commit certificate')
  const b = block.data
  const c = commit.data
  if (b.height !== height || c.height !== b.height || c.epoch !== b.epoch) {
    throw refuse(`the block is at height ${b.height}, its certificate at ${c.height}`)
  }
  const hash = blockHash(b)
  if (hash !== c.blockHash) throw refuse(`the block hashes to ${hash}, the certificate signs ${c.blockHash}`)
  const verifier = createEip712Verifier({ domain, epoch: c.epoch })
  if (!verifyCommitCertificate(fromWireCertificate(c), validators, verifier)) {
    throw refuse('the commit certificate lacks valid precommits of more than 2/3 of the stake')
  }
  const verified = Object.freeze({ block: b, validators, domain })
  VERIFIED.add(verified)
  return verified
}

/** What verifyDecidedBlock returned: the only blocks verifyCertifiedJob takes, however typed. */
const VERIFIED = new WeakSet<VerifiedBlock>()

/**
 * The job half of verifyCertifiedResult, on a block verifyDecidedBlock passed, under the validator
 * set and domain it passed under: the block certifies `resultHash` for the job, attested by more
 * than 2/3 of that stake.
 */
export function verifyCertifiedJob(
  verified: VerifiedBlock,
  expected: { readonly jobId: Hex32; readonly resultHash: Hex32; readonly height: number },
): CertifiedResult {
  const refuse = (why: string) =>
    new ClientError('CERTIFICATE_INVALID', `job ${expected.jobId} at height ${expected.height}: ${why}`)
  if (!VERIFIED.has(verified)) throw refuse('the block was not verified')
  const { block: b, validators, domain } = verified
  if (b.height !== expected.height) throw refuse(`the block verified is at height ${b.height}`)
  const certificate = b.certified.find((r) => r.jobId === expected.jobId)
  if (!certificate) throw refuse('the block certifies no result for the job')
  if (certificate.resultHash !== expected.resultHash) {
    throw refuse(`the block certifies ${certificate.resultHash}, not ${expected.resultHash}`)
  }
  const attesters = new Set<Address>()
  const signed = verifyResultAttestations(domain, certificate, certificate.attestations)
  for (const [i, a] of certificate.attestations.entries()) {
    if (attesters.has(a.validator) || !validators.has(a.validator) || !signed[i]) {
      throw refuse(`attestation by ${a.validator} is duplicated, not by a validator, or not validly signed`)
    }
    attesters.add(a.validator)
  }
  if (!hasQuorum(validators, attesters))
    throw refuse('the result attestations carry no more than 2/3 of the stake')
  return { height: b.height, epoch: b.epoch, certificate }
}
