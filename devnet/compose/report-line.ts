import type { DemoReport } from '../demo.ts'

/**
 * How the demo container hands its report to `npm run devnet:compose`: its
 * last log line is this prefix and the report as JSON, after the report in
 * words. A log is the one channel both Compose versions read the same way.
 */
export const REPORT_PREFIX = 'tcf-demo-report '

export const reportLine = (report: DemoReport): string => `${REPORT_PREFIX}${JSON.stringify(report)}`

export function parseReportLine(line: string): DemoReport | undefined {
  if (!line.startsWith(REPORT_PREFIX)) return undefined
  return JSON.parse(line.slice(REPORT_PREFIX.length)) as DemoReport
}
