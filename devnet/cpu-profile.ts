/**
 * Preload that profiles a validator process with V8's sampling profiler and writes
 * `<dir>/tcf-<pid>.cpuprofile` when the process ends (open it in Chrome DevTools). Node refuses
 * `--cpu-prof` in NODE_OPTIONS, and the cluster starts its validators with this process's
 * environment, so this is how a bench run profiles every validator:
 *
 *   TCF_PROFILE_DIR=/tmp/prof NODE_OPTIONS="--import ./devnet/cpu-profile.ts" \
 *     node_modules/node/bin/node devnet/bench.ts --validators 4 --modes single,burst
 *
 * (Node 24 directly: `npx` runs on the system's Node 20 first, which would read NODE_OPTIONS and
 * fail to import a .ts file.)
 *
 * Only `tcf` processes are profiled: the bench itself and the anvil process are left alone.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'

const dir = process.env.TCF_PROFILE_DIR
if (dir && process.argv[1]?.endsWith('bin/tcf.ts')) {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  // 1 ms samples: a burst's run is about a minute, and finer sampling costs the validator CPU.
  session.post('Profiler.setSamplingInterval', { interval: 1000 })
  session.post('Profiler.start')
  let written = false
  const write = () => {
    if (written) return
    written = true
    // A session on the process's own thread answers synchronously, so this completes before exit.
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(join(dir, `tcf-${process.pid}.cpuprofile`), JSON.stringify(result.profile))
    })
  }
  process.on('exit', write)
  process.prependListener('SIGTERM', write)
}
