import type { ClusterNode } from './cluster.ts'

/** What readying a vault before any job took on one validator (its `vault warmed` log line). */
export interface NodeWarmth {
  readonly node: number
  /** from the publication to the vault warmed here */
  readonly seconds: number
  readonly fetchMs: number
  readonly ingestMs: number
  readonly contextMs: number
  readonly keysMs: number
  readonly chunksMs: number
}

const FIELDS = ['fetchMs', 'ingestMs', 'contextMs', 'keysMs', 'chunksMs'] as const

/**
 * Waits until every validator has warmed `vaultId` (node/vault-warmer.ts), at most `timeoutMs`,
 * and says what it took on each: the first job on a vault is measured on a vault published
 * earlier, as a buyer meets it. Nodes that did not warm it in time are left out.
 */
export async function vaultWarmed(
  nodes: readonly ClusterNode[],
  vaultId: string,
  publishedAt: number,
  timeoutMs = 120_000,
): Promise<NodeWarmth[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = (
      await Promise.all(nodes.map(async (n) => warmthIn(n.index, await n.log(), vaultId, publishedAt)))
    ).filter((w): w is NodeWarmth => w !== undefined)
    if (found.length === nodes.length || Date.now() > deadline) return found
    await new Promise((r) => setTimeout(r, 250))
  }
}

function warmthIn(node: number, log: string, vaultId: string, publishedAt: number): NodeWarmth | undefined {
  for (const line of log.split('\n')) {
    if (!line.includes('"vault warmed"') || !line.includes(vaultId)) continue
    let entry: Record<string, unknown>
    try {
      entry = JSON.parse(line) as Record<string, unknown>
    } catch {
      continue
    }
    if (entry.msg !== 'vault warmed' || entry.vaultId !== vaultId) continue
    const at = typeof entry.time === 'number' ? entry.time : Date.parse(String(entry.time))
    const ms = (k: (typeof FIELDS)[number]) => (typeof entry[k] === 'number' ? entry[k] : 0)
    return {
      node,
      seconds: (at - publishedAt) / 1000,
      fetchMs: ms('fetchMs'),
      ingestMs: ms('ingestMs'),
      contextMs: ms('contextMs'),
      keysMs: ms('keysMs'),
      chunksMs: ms('chunksMs'),
    }
  }
  return undefined
}
