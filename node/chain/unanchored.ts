import type { JobRecord } from '../storage/index.ts'

/**
 * Heights of committed outcome blocks (a job's certificate, release or failure) whose anchor this
 * validator never recorded: what a restarted daemon hands back to the anchorer. A validator killed
 * between committing such a block and recording its anchor (a non-proposer waits out its takeover
 * delay first) would otherwise hold the job at that stage for good, since catch-up only replays
 * blocks above its stored height. Only each job's latest outcome counts: anchoring it covers the
 * earlier blocks through their parent hashes.
 */
export function unanchoredHeights(
  records: readonly Pick<JobRecord, 'certifiedHeight' | 'releasedHeight' | 'failedHeight' | 'anchorTx'>[],
): number[] {
  const heights = new Set<number>()
  for (const r of records) {
    const outcomes = [r.certifiedHeight, r.releasedHeight, r.failedHeight].filter((h) => h !== undefined)
    if (outcomes.length === 0) continue
    const latest = Math.max(...outcomes)
    if ((r.anchorTx?.height ?? -1) < latest) heights.add(latest)
  }
  return [...heights].sort((a, b) => a - b)
}
