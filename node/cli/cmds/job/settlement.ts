import { QUALITY_SCALE } from '../../../../protocol/index.ts'

/**
 * Why an escrow went back to the buyer although the job was released, as `tcf job status` and
 * `tcf job settle` say it; undefined for any other settlement.
 */
export function rejectionReason(s: {
  readonly status: 'paid' | 'rejected' | 'refunded'
  readonly qualityScore?: number | undefined
  readonly minQuality?: number | undefined
}): string | undefined {
  if (s.status !== 'rejected' || s.qualityScore === undefined || s.minQuality === undefined) return undefined
  const score = (v: number) => (v / QUALITY_SCALE).toFixed(4)
  return (
    `quality score ${score(s.qualityScore)} is below the ${score(s.minQuality)} the buyer pays for: ` +
    `the buyer was refunded less the validators' evaluation fee, the owner got nothing`
  )
}
