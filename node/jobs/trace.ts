import type { Logger } from 'pino'
import type { Hex32 } from '../../protocol/index.ts'

/**
 * The marks a job passes on one validator between its submission and its certificate, in order.
 * Each is one log line (`msg: 'job trace'`): the devnet bench lines up every validator's marks
 * to show where the time between submit and certified goes, work and waits apart.
 */
export const TRACE_MARKS = [
  'received',
  'proposed',
  'admitted',
  'fetched',
  'ingested',
  'evaluated',
  'attested',
  'quorum',
  'certified',
] as const

export type TraceMark = (typeof TRACE_MARKS)[number]

export const TRACE_MSG = 'job trace'

export type JobTrace = (jobId: Hex32, mark: TraceMark, fields?: Record<string, number | string>) => void

export function jobTrace(logger: Logger): JobTrace {
  return (jobId, mark, fields) => logger.info({ jobId, mark, ...fields }, TRACE_MSG)
}
