// In-process committees for the threshold node tests: members' real stores, and gossip as hand-offs.
import { blobIdOf, type DkgGossipBody } from '../../../protocol/index.ts'
import type { NodeStore } from '../../storage/index.ts'
import type { DkgBlobs } from '../dkg-run.ts'
import { ThresholdNodeError } from '../errors.ts'

/** A member's blobs: its own store, and its peers' stores behind it as the blob protocol would serve them. */
export function storeBlobs(own: NodeStore, peers: () => readonly NodeStore[]): DkgBlobs {
  return {
    get: (id) => own.blobs.get(id),
    put: async (bytes) => {
      const id = blobIdOf(bytes)
      await own.blobs.put(id, bytes)
      return id
    },
    fetch: async (id) => {
      for (const s of [own, ...peers()]) {
        const bytes = await s.blobs.get(id)
        if (bytes !== undefined) {
          await own.blobs.put(id, bytes)
          return bytes
        }
      }
      throw new ThresholdNodeError('BLOB_UNAVAILABLE', `blob ${id} is in no member's store`)
    },
  }
}

interface GossipRun {
  readonly sent: readonly DkgGossipBody[]
  receive(body: DkgGossipBody): void
  advance(): Promise<void>
}

/** Gossip, in-process: every run hands everything it sent to the others, then all advance. */
export async function pumpRuns(runs: () => readonly GossipRun[], until: () => boolean, maxRounds = 400) {
  for (let r = 0; r < maxRounds && !until(); r++) {
    const all = runs()
    for (const from of all)
      for (const body of from.sent) for (const to of all) if (to !== from) to.receive(body)
    for (const run of all) await run.advance()
    if (r % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
