import type { NodeStatus } from '../../../../sdk/types.ts'
import { CliError } from '../../../errors.ts'

/**
 * Whether a node takes part in consensus: it answers, sees the peers that
 * make a quorum with it, and commits a block within `withinMs`. Plain fetch
 * and nothing else loaded, because container healthchecks run it every few
 * seconds on every validator and the whole CLI costs seconds of CPU to load.
 */
export interface Health {
  readonly height: number
  readonly peers: number
  readonly minPeers: number
}

export async function probeHealth(
  url: string,
  options: { readonly minPeers?: number; readonly withinMs: number },
): Promise<Health> {
  const status = async (): Promise<NodeStatus> => {
    const response = await fetch(new URL('/v1/status', url)).catch((cause: unknown) => {
      throw new CliError('NODE_UNHEALTHY', `${url} does not answer`, { cause })
    })
    if (!response.ok) throw new CliError('NODE_UNHEALTHY', `${url}/v1/status answered ${response.status}`)
    return (await response.json()) as NodeStatus
  }
  const first = await status()
  const minPeers = options.minPeers ?? quorumPeers(first)
  if (first.peers.length < minPeers)
    throw new CliError(
      'NODE_UNHEALTHY',
      `${first.peers.length} peers, needs ${minPeers}${options.minPeers === undefined ? ' for a quorum' : ''}`,
    )
  const deadline = Date.now() + options.withinMs
  let last = first
  while (last.height <= first.height) {
    if (Date.now() >= deadline)
      throw new CliError('NODE_UNHEALTHY', `height stuck at ${first.height} for ${options.withinMs} ms`)
    await new Promise((ok) => setTimeout(ok, 200))
    last = await status()
  }
  return { height: last.height, peers: last.peers.length, minPeers }
}

/** Peers that, with this node, hold more than two thirds of the validators (by count; power is equal on a devnet). */
function quorumPeers(status: NodeStatus): number {
  const quorum = Math.floor((2 * status.validators.length) / 3) + 1
  return Math.max(0, quorum - 1)
}
