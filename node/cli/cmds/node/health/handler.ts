import { CliError } from '../../../errors.ts'
import type { NodeHealthArgs } from './options.ts'
import { probeHealth } from './probe.ts'

export async function nodeHealthHandler(args: NodeHealthArgs): Promise<void> {
  if (!(args.within > 0))
    throw new CliError('ARGUMENT_INVALID', '--within must be a positive number of seconds')
  const health = await probeHealth(args.node, {
    ...(args.minPeers === undefined ? {} : { minPeers: args.minPeers }),
    withinMs: args.within * 1000,
  })
  console.log(
    args.json
      ? JSON.stringify({ healthy: true, ...health })
      : `healthy: height ${health.height}, ${health.peers} peers (${health.minPeers} needed)`,
  )
}
