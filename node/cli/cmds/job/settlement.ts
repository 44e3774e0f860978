import { QUALITY_SCALE } from '../../../../protocol/index.ts'

/** What `tcf job status` and `tcf job settle` say of a closed escrow: which way it went, and why. */
export function settlementLine(s: {
  readonly status: 'paid' | 'rejected' | 'refunded'
  readonly txHash: string
  readonly qualityScore?: number | undefined
  readonly minQuality?: number | undefined
}): string {
  const line = `escrow ${s.status} in tx ${s.txHash}`
  if (s.status !== 'rejected' || s.qualityScore === undefined || s.minQuality === undefined) return line
  const score = (v: number) => (v / QUALITY_SCALE).toFixed(4)
  return (
    `${line}: quality score ${score(s.qualityScore)} is below the ${score(s.minQuality)} the buyer pays for, ` +
    `so the buyer was refunded less the validators' evaluation fee and the owner got nothing`
  )
}
