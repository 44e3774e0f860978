import { z } from 'zod'
import { type Hex32, type ThresholdRelease, thresholdReleaseCodec } from '../../protocol/index.ts'
import type { ScoredCandidate } from '../jobs/block.ts'
import type { NodeStore } from '../storage/index.ts'

const releasesKey = (jobId: Hex32) => `threshold/releases/${jobId}`
const storedReleases = z.array(thresholdReleaseCodec.schema)

/**
 * The members' threshold releases this node has seen, per job and member: persisted, because the
 * buyer fetches its sealed shares from any node, after the block too. The proposer takes its
 * candidates from here.
 */
export class ThresholdReleasePool {
  readonly #store: Pick<NodeStore, 'putMeta' | 'getMeta'>
  readonly #byJob = new Map<Hex32, Map<number, ThresholdRelease>>()
  #writes: Promise<unknown> = Promise.resolve()

  constructor(store: Pick<NodeStore, 'putMeta' | 'getMeta'>) {
    this.#store = store
  }

  has(jobId: Hex32, member: number): boolean {
    return this.#byJob.get(jobId)?.has(member) ?? false
  }

  /** Keeps a checked release (the first of each member: a member's release never changes). */
  keep(release: ThresholdRelease): Promise<void> {
    const { jobId, member } = release.share
    const held = this.#byJob.get(jobId) ?? new Map<number, ThresholdRelease>()
    this.#byJob.set(jobId, held)
    if (held.has(member)) return this.#writes.then(() => undefined)
    held.set(member, release)
    const snapshot = [...held.values()]
    const write = this.#writes.then(() => this.#store.putMeta(releasesKey(jobId), snapshot))
    this.#writes = write.catch(() => undefined)
    return write
  }

  /** Every release of the job held here, in memory or from before a restart. */
  async releasesOf(jobId: Hex32): Promise<ThresholdRelease[]> {
    const held = this.#byJob.get(jobId)
    if (held) return [...held.values()]
    return (await this.#store.getMeta(releasesKey(jobId), storedReleases)) ?? []
  }

  /**
   * Per job, each participant set of `threshold(jobId)` members whose releases are all here, in
   * lexicographic order: what a proposer may put in a block.
   */
  candidates(threshold: (jobId: Hex32) => number | undefined): ScoredCandidate[] {
    const out: ScoredCandidate[] = []
    for (const [jobId, held] of this.#byJob) {
      const t = threshold(jobId)
      if (t === undefined) continue
      const sets = [...held.values()]
        .flatMap((r) => r.share.sets.map((s) => s.participants))
        .filter((p) => p.length === t && p.every((m) => held.has(m)))
        .map((p) => p.join(','))
      for (const key of [...new Set(sets)].sort()) {
        const participants = key.split(',').map(Number)
        const shares = participants.map((m) => held.get(m)!.share)
        out.push({ jobId, resultHash: shares[0]!.resultHash, participants, shares })
      }
    }
    return out
  }

  /** A decided block released the job: nothing more to propose (the stored copy stays for the buyer). */
  released(jobId: Hex32): void {
    this.#byJob.delete(jobId)
  }
}
