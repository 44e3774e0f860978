import type { JobRecord } from '../storage/index.ts'

/**
 * Heights whose anchoring proved a job's release or failure with no settlement recorded: what a
 * restarted daemon hands back to the settler. A job's anchorTx names the last anchored block
 * carrying it, so only one naming the release or failure height counts (not the certificate's).
 */
export function unsettledHeights(
  records: readonly Pick<
    JobRecord,
    'stage' | 'releasedHeight' | 'failedHeight' | 'anchorTx' | 'settlement'
  >[],
): number[] {
  const heights = new Set<number>()
  for (const r of records) {
    const closedAt =
      r.stage === 'released' ? r.releasedHeight : r.stage === 'failed' ? r.failedHeight : undefined
    if (closedAt !== undefined && r.settlement === undefined && r.anchorTx?.height === closedAt) {
      heights.add(closedAt)
    }
  }
  return [...heights].sort((a, b) => a - b)
}
