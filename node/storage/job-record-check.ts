import { z } from 'zod'
import {
  type JobRecord,
  jobRecordFields,
  jobRecordSchema,
  type SignedJobRequest,
  signedJobRequestCodec,
  withJobIdCheck,
} from '../../protocol/index.ts'
import { checkRecord } from './stored.ts'

/**
 * Requests known to be valid and never to change: decoded by the request codec (from gossip, the
 * API, a block) or read back by the store, deeply frozen once they passed the schema. A record moves
 * through its stages with the same request object, and checking the request again (its spec walked
 * as JSON, its hash) was most of each write's check; any other request is checked in full.
 */
export function rememberCheckedRequest(record: JobRecord): void {
  signedJobRequestCodec.adopt(record.request)
}

const overCheckedRequest = withJobIdCheck(
  jobRecordFields.extend({
    request: z.custom<SignedJobRequest>((value) => signedJobRequestCodec.knows(value)),
  }),
)

/** checkRecord for a job record: every field checked, a known frozen request taken as it is. */
export function checkJobRecord(record: JobRecord, what: string): JobRecord {
  const known = signedJobRequestCodec.knows(record.request)
  return checkRecord(known ? overCheckedRequest : jobRecordSchema, record, what)
}
