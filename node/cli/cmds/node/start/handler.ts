import { Daemon } from '../../../../daemon.ts'
import { readPassphrase } from '../../../passphrase.ts'
import type { NodeStartArgs } from './options.ts'

/** Runs the validator until SIGINT or SIGTERM, then stops every component in order and exits. */
export async function nodeStartHandler(args: NodeStartArgs): Promise<void> {
  const passphrase = await readPassphrase(args)
  const daemon = await Daemon.start({ home: args.home, passphrase })
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return
      stopping = true
      process.stderr.write(`${signal}: stopping\n`)
      daemon.stop().then(resolve, (e: unknown) => {
        process.stderr.write(`error while stopping: ${e instanceof Error ? e.message : String(e)}\n`)
        process.exitCode = 1
        resolve()
      })
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}
