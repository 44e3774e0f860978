import type { JobRecord, JobStage } from '../../../sdk/index.ts'

/** The block height a stage is recorded at, where the record has one. */
export function heightOf(job: JobRecord, stage: JobStage): number | undefined {
  switch (stage) {
    case 'admitted':
      return job.admittedHeight
    case 'certified':
      return job.certifiedHeight
    case 'anchored':
      return job.anchorTx?.height
    case 'released':
      return job.releasedHeight
    case 'failed':
      return job.failedHeight
    default:
      return undefined
  }
}

/** One line per stage: name, height, time, and seconds since the job was first seen. */
export function stageRow(job: JobRecord, stage: JobStage, at: string): [string, string, string, string] {
  const first = Object.values(job.stages).sort()[0] ?? at
  const elapsed = ((Date.parse(at) - Date.parse(first)) / 1000).toFixed(1)
  return [stage, String(heightOf(job, stage) ?? '-'), at, `+${elapsed}s`]
}

export const STAGE_HEADERS = ['stage', 'height', 'at', 'since submit'] as const

/** Widths of the stage columns, so that lines printed one at a time (job wait) still align. */
const WIDTHS = [9, 6, 24] as const

export const alignedStageLine = (cells: readonly string[]): string =>
  cells
    .map((c, i) => c.padEnd(WIDTHS[i] ?? 0))
    .join('  ')
    .trimEnd()
