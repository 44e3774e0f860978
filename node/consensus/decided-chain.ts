import { type SignatureVerifier, type ValidatorSet, verifyCommitCertificate } from '../../consensus/index.ts'
import { blockHash, type DecidedRecord, decidedRecordCodec, type Hex32 } from '../../protocol/index.ts'
import { fromWireCertificate } from './certificate.ts'

/**
 * The decided records above `height`, oldest first, read back from a peer's
 * `head` through each record's `prev`. Records are content-addressed, so
 * whoever serves them cannot alter one; whether they were decided is for
 * `verifyDecidedRecord` to say.
 */
export async function decidedRecordsAbove(
  head: Hex32,
  height: number,
  fetch: (id: Hex32) => Promise<Uint8Array>,
): Promise<DecidedRecord[]> {
  const records: DecidedRecord[] = []
  for (let id: Hex32 | null = head; id !== null; ) {
    const record = decidedRecordCodec.decode(await fetch(id))
    if (record.block.height <= height) break
    records.unshift(record)
    id = record.prev
  }
  return records
}

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
    certificate.height === block.height &&
    certificate.blockHash === blockHash(block) &&
    verifyCommitCertificate(fromWireCertificate(certificate), validators, verifier)
  )
}

/**
 * The records a node behind a peer applies, oldest first: the peer's chain
 * from `head` down to the node's height, every record verified by `verify`.
 */
export async function recordsToApply(
  head: Hex32,
  localHeight: number,
  fetch: (id: Hex32) => Promise<Uint8Array>,
  verify: (record: DecidedRecord) => boolean,
): Promise<DecidedRecord[]> {
  const records = await decidedRecordsAbove(head, localHeight, fetch)
  for (const record of records) {
    if (!verify(record)) throw new Error(`decided record for height ${record.block.height} does not verify`)
  }
  return records
}
