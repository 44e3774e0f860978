/**
 * `npm run devnet:compose`: the devnet of `npm run devnet` in containers.
 * Builds the images (on a local base when no registry is reachable), runs
 * docker-compose.devnet.yml, follows the demo container to the report that
 * `npm run devnet` prints, and removes containers, networks and volumes.
 *
 *   npm run devnet:compose [-- --keep] [--headless]
 *
 * --keep leaves the network running; --headless prints the report as JSON.
 * Exits non-zero if a check fails or the network does not come up.
 */
import { commandLine } from '../command-line.ts'
import { apiPort, VALIDATOR_COUNT } from '../topology.ts'
import { followDemo, prepareComposeDevnet } from './devnet.ts'
import type { ComposeProject } from './engine.ts'

const args = commandLine(
  {
    command: 'npm run devnet:compose --',
    summary:
      'The devnet in Docker containers, one per validator, from docker-compose.devnet.yml, and the demo job through it.',
    options: {
      keep: { type: 'boolean', default: false },
      headless: { type: 'boolean', default: false },
    },
    describe: {
      keep: 'leave the containers running',
      headless: 'print JSON and exit non-zero if a check fails',
    },
  },
  (values) => values,
)
const started = Date.now()
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`
const say = (line = '') => {
  if (!args.headless) console.log(line)
}
// Progress goes to stderr in headless mode, so stdout holds only the JSON.
const progress = (line: string) => (args.headless ? console.error : console.log)(`[${elapsed()}] ${line}`)

let project: ComposeProject | undefined
process.once('SIGINT', () => {
  progress('SIGINT: removing the devnet')
  void (project?.down() ?? Promise.resolve()).finally(() => process.exit(130))
})

let ok = false
try {
  const prepared = await prepareComposeDevnet(progress)
  project = prepared.project
  progress(
    `images built (${Object.entries(prepared.builds)
      .map(([i, s]) => `${i} ${s.toFixed(1)} s`)
      .join(', ')})`,
  )
  // Volumes of an earlier run name contracts on a chain that no longer exists.
  await project.down()
  progress('docker compose up: chain, deploy, 4 validators, vault agent, demo')
  await project.up()
  progress('the demo container runs:')
  const outcome = await followDemo(project, (line) => say(`  ${line}`))
  ok = outcome.exitCode === 0 && outcome.report?.ok === true
  if (args.headless) console.log(JSON.stringify({ ...outcome.report, exitCode: outcome.exitCode, ok }))
  if (!ok) {
    console.error(`the demo container exited ${outcome.exitCode}; the services' last log lines:`)
    console.error(await project.logs())
  }
  if (args.keep) {
    say('\nthe devnet keeps running; try:')
    for (let i = 0; i < VALIDATOR_COUNT; i++)
      say(`  npm run tcf -- node status --node http://127.0.0.1:${apiPort(i)}`)
    say(
      `  ${project.cli.program} ${[...project.cli.prefix, '-p', project.name, '-f', project.file].join(' ')} down -v   # to remove it`,
    )
  }
} catch (e) {
  console.error(`devnet:compose failed: ${e instanceof Error ? e.message : String(e)}`)
  if (project) console.error(await project.logs())
} finally {
  if (project && !args.keep) {
    await project.down().catch((e: unknown) => console.error(`teardown failed: ${String(e)}`))
    progress('removed containers, networks and volumes')
  }
}
process.exit(ok ? 0 : 1)
