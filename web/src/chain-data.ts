import type { DecidedBlock, JobRecord } from '../../node/sdk/index.ts'
import { client } from './node.ts'

/** Decided blocks never change: each height is fetched once per page load. */
const blocks = new Map<number, DecidedBlock>()

export async function blockAt(height: number): Promise<DecidedBlock | undefined> {
  const cached = blocks.get(height)
  if (cached) return cached
  const block = await client().block(height)
  if (block) blocks.set(height, block)
  return block
}

/** The last `count` decided blocks, newest first. */
export async function recentBlocks(height: number, count: number): Promise<DecidedBlock[]> {
  const heights = Array.from({ length: Math.min(count, height) }, (_, i) => height - i)
  const found = await Promise.all(heights.map(blockAt))
  return found.filter((b): b is DecidedBlock => b !== undefined)
}

/** What a block did, in the words of the explorer: how many jobs each list of it carries. */
export const blockCounts = (b: DecidedBlock) => ({
  admitted: b.block.admitted.length,
  certified: b.block.certified.length,
  released: b.block.released.length,
  failed: b.block.failed.length,
})

export const jobsNewestFirst = (jobs: readonly JobRecord[]): JobRecord[] =>
  [...jobs].sort((a, b) => (b.stages.pending ?? '').localeCompare(a.stages.pending ?? ''))
