import { z } from 'zod'
import {
  type JobRecord,
  jobRecordFields,
  jobRecordSchema,
  type SignedJobRequest,
  withJobIdCheck,
} from '../../protocol/index.ts'
import { checkRecord } from './stored.ts'

/**
 * Requests known to be valid and never to change: those of the job records the store keeps decoded,
 * each deeply frozen after it passed the schema. A record moves through its stages with the same
 * request object, and checking the request again (its spec walked as JSON, its hash) was most of
 * each write's check; a request not in here, from gossip or the API, is checked in full.
 */
const checkedRequests = new WeakSet<object>()

export function rememberCheckedRequest(record: JobRecord): void {
  if (Object.isFrozen(record.request)) checkedRequests.add(record.request)
}

const overCheckedRequest = withJobIdCheck(
  jobRecordFields.extend({
    request: z.custom<SignedJobRequest>(
      (value) => typeof value === 'object' && value !== null && checkedRequests.has(value),
    ),
  }),
)

/** checkRecord for a job record: every field checked, a known frozen request taken as it is. */
export function checkJobRecord(record: JobRecord, what: string): JobRecord {
  const known =
    typeof record.request === 'object' && record.request !== null && checkedRequests.has(record.request)
  return checkRecord(known ? overCheckedRequest : jobRecordSchema, record, what)
}
