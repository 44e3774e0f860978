import { fileURLToPath } from 'node:url'
import type { DemoReport } from '../demo.ts'
import { DEMO_SERVICE } from '../topology.ts'
import { ComposeProject, detectCompose, followContainer } from './engine.ts'
import { buildImages, resolveBase } from './images.ts'
import { parseReportLine } from './report-line.ts'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
export const COMPOSE_FILE = fileURLToPath(new URL('../../docker-compose.devnet.yml', import.meta.url))
/** A fixed project name: volumes and networks are `tcf-devnet_<name>`, and a stale run is found and removed. */
export const PROJECT = 'tcf-devnet'

export interface PreparedDevnet {
  readonly project: ComposeProject
  readonly base: string
  /** seconds each image build took */
  readonly builds: Readonly<Record<string, number>>
}

/** The Compose to use, the base image (public or local), and the tcf and chain images built on it. */
export async function prepareComposeDevnet(log: (line: string) => void): Promise<PreparedDevnet> {
  const cli = await detectCompose()
  log(`${cli.program} ${cli.prefix.join(' ')} ${cli.version}`.replace(/\s+/g, ' '))
  const base = await resolveBase(REPO, log)
  const builds = await buildImages(REPO, base, log)
  return { project: new ComposeProject(cli, COMPOSE_FILE, PROJECT), base, builds }
}

export interface DemoOutcome {
  readonly exitCode: number
  /** the demo container's report, absent if it failed before making one */
  readonly report: DemoReport | undefined
}

/** Follows the demo container to its end; every line but the report's JSON goes to `onLine`. */
export async function followDemo(
  project: ComposeProject,
  onLine: (line: string) => void,
): Promise<DemoOutcome> {
  let report: DemoReport | undefined
  const exitCode = await followContainer(await project.containerId(DEMO_SERVICE), (line) => {
    const parsed = parseReportLine(line)
    if (parsed) report = parsed
    else onLine(line)
  })
  return { exitCode, report }
}
