import { Client, type NodeStatus } from '../../../../sdk/index.ts'
import { CliError } from '../../../errors.ts'
import type { NodeHealthArgs } from './options.ts'

/**
 * A container healthcheck that means something: the node answers, sees
 * enough peers to reach a quorum with them, and commits blocks. A node whose
 * API answers but that is partitioned or stalled is unhealthy.
 */
export async function nodeHealthHandler(args: NodeHealthArgs): Promise<void> {
  if (!(args.within > 0))
    throw new CliError('ARGUMENT_INVALID', `--within must be a positive number of seconds`)
  const client = new Client({ url: args.node })
  try {
    const first = await client.status()
    const minPeers = args.minPeers ?? quorumPeers(first)
    if (first.peers.length < minPeers)
      throw new CliError('NODE_UNHEALTHY', `${first.peers.length} peers, needs ${minPeers} for a quorum`)
    const deadline = Date.now() + args.within * 1000
    let last = first
    while (last.height <= first.height) {
      if (Date.now() >= deadline)
        throw new CliError('NODE_UNHEALTHY', `height stuck at ${first.height} for ${args.within} s`)
      await new Promise((ok) => setTimeout(ok, 200))
      last = await client.status()
    }
    const report = { healthy: true, height: last.height, peers: last.peers.length, minPeers }
    console.log(
      args.json ? JSON.stringify(report) : `healthy: height ${last.height}, ${last.peers.length} peers`,
    )
  } finally {
    await client.close()
  }
}

/** Peers that, with this node, hold more than two thirds of the validators (by count; power is equal on a devnet). */
function quorumPeers(status: NodeStatus): number {
  const quorum = Math.floor((2 * status.validators.length) / 3) + 1
  return Math.max(0, quorum - 1)
}
