import {
  fromWireCertificate,
  type SignatureVerifier,
  type ValidatorSet,
  verifyCommitCertificate,
} from '../../consensus/index.ts'
import { blockHash, type DecidedRecord, decidedRecordCodec, type Hex32 } from '../../protocol/index.ts'
import { CatchUpError } from './errors.ts'

/** The record's certificate decides its block: this epoch, this height, this hash, > 2/3 of the power. */
export function verifyDecidedRecord(
  record: DecidedRecord,
  epoch: number,
  validators: ValidatorSet,
  verifier: SignatureVerifier,
): boolean {
  const { block, certificate } = record
  return (
    certificate.epoch === epoch &&
    block.epoch === epoch &&
    certificate.height === block.height &&
    certificate.blockHash === blockHash(block) &&
    verifyCommitCertificate(fromWireCertificate(certificate), validators, verifier)
  )
}

/**
 * The records a node behind a peer applies, oldest first. The peer's head
 * is unauthenticated gossip, so its certificate is checked before anything
 * else is fetched; below it, each record must be its child's parent (height
 * and block hash) and carry a valid certificate of its own, and the oldest
 * must extend the node's own head. A liar costs one fetch and one check.
 */
export async function recordsToApply(
  head: Hex32,
  local: { readonly height: number; readonly headHash: Hex32 },
  fetch: (id: Hex32) => Promise<Uint8Array>,
  verify: (record: DecidedRecord) => boolean | Promise<boolean>,
): Promise<DecidedRecord[]> {
  const top = decidedRecordCodec.decode(await fetch(head))
  if (!(await verify(top))) {
    throw new CatchUpError(
      'HEAD_UNCERTIFIED',
      `head ${head} (height ${top.block.height}) has no valid commit certificate`,
    )
  }
  if (top.block.height <= local.height) return []
  const records = [top]
  for (let child = top; child.block.height > local.height + 1; ) {
    if (child.prev === null)
      throw new CatchUpError('BROKEN_CHAIN', `height ${child.block.height} names no parent record`)
    const parent = decidedRecordCodec.decode(await fetch(child.prev))
    if (
      parent.block.height !== child.block.height - 1 ||
      blockHash(parent.block) !== child.block.parentHash
    ) {
      throw new CatchUpError(
        'BROKEN_CHAIN',
        `record ${child.prev} is not the parent of height ${child.block.height}`,
      )
    }
    if (!(await verify(parent))) {
      throw new CatchUpError(
        'RECORD_UNCERTIFIED',
        `height ${parent.block.height}: the certificate does not verify`,
      )
    }
    records.unshift(parent)
    child = parent
  }
  if (records[0]!.block.parentHash !== local.headHash) {
    throw new CatchUpError('FORK', `the peer's height ${local.height + 1} does not extend this node's head`)
  }
  return records
}
