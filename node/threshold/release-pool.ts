import { z } from 'zod'
import { type Hex32, type ThresholdRelease, thresholdReleaseCodec } from '../../protocol/index.ts'
import type { ScoredCandidate } from '../jobs/block.ts'
import type { JsonValue, NodeStore } from '../storage/index.ts'

const releasesKey = (jobId: Hex32) => `threshold/releases/${jobId}`
const storedReleases = z.array(thresholdReleaseCodec.schema)

/**
 * The members' threshold releases this node has seen, per job and member: persisted, because the
 * buyer fetches its sealed output shares from any node, long after the block. The proposer takes
 * its phase-1 candidates from memory; phase-2 output shares arrive after the job left it.
 */
export class ThresholdReleasePool {
  readonly #store: Pick<NodeStore, 'putMeta' | 'getMeta'>
  readonly #byJob = new Map<Hex32, Map<number, ThresholdRelease>>()
  /** `${jobId}/${member}` of every output share kept, so gossip ignores repeats without a read */
  readonly #outputs = new Set<string>()
  #writes: Promise<unknown> = Promise.resolve()

  constructor(store: Pick<NodeStore, 'putMeta' | 'getMeta'>) {
    this.#store = store
  }

  has(jobId: Hex32, member: number): boolean {
    return this.#byJob.get(jobId)?.has(member) ?? false
  }

  hasOutputs(jobId: Hex32, member: number): boolean {
    return this.#outputs.has(`${jobId}/${member}`)
  }

  /**
   * Keeps a checked release: a member's first score share, and later its output shares (a member's
   * score share never changes; its output shares come once, for the block's set).
   */
  keep(release: ThresholdRelease): Promise<void> {
    const { jobId, member } = release.share
    if (release.outputs) {
      if (this.hasOutputs(jobId, member)) return this.#writes.then(() => undefined)
      this.#outputs.add(`${jobId}/${member}`)
    } else if (!this.has(jobId, member)) {
      const held = this.#byJob.get(jobId) ?? new Map<number, ThresholdRelease>()
      this.#byJob.set(jobId, held)
      held.set(member, release)
    } else {
      return this.#writes.then(() => undefined)
    }
    const write = this.#writes.then(() => this.#merge(jobId, release))
    this.#writes = write.catch(() => undefined)
    return write
  }

  /**
   * The score shares a decided block released a job with, checked by the block's rules: kept for
   * the buyer like gossiped ones. A node that decided the certifying block late ignored the shares
   * gossiped before it, and none come after the release: without these it could hold fewer than
   * the set the block names. Never offered to a proposer again (the job is released).
   */
  keepDecided(shares: readonly ThresholdRelease['share'][]): Promise<void> {
    const write = this.#writes.then(async () => {
      for (const share of shares) await this.#merge(share.jobId, { version: 1, share, attempt: 0 })
    })
    this.#writes = write.catch(() => undefined)
    return write
  }

  /** One writer at a time: a member's entry is added, or gains its output shares, never loses them. */
  async #merge(jobId: Hex32, release: ThresholdRelease): Promise<void> {
    const stored = (await this.#store.getMeta(releasesKey(jobId), storedReleases)) ?? []
    const at = stored.findIndex((r) => r.share.member === release.share.member)
    if (at < 0) stored.push(release)
    else if (release.outputs && !stored[at]!.outputs)
      stored[at] = { ...stored[at]!, outputs: release.outputs }
    else return
    // An absent `outputs` is absent, never undefined: the codec's schema reads it back as written.
    await this.#store.putMeta(releasesKey(jobId), stored as unknown as JsonValue)
  }

  /** Every release of the job held here, with the output shares of those that sent them. */
  async releasesOf(jobId: Hex32): Promise<ThresholdRelease[]> {
    await this.#writes
    const stored = (await this.#store.getMeta(releasesKey(jobId), storedReleases)) ?? []
    const members = new Set(stored.map((r) => r.share.member))
    const held = [...(this.#byJob.get(jobId)?.values() ?? [])].filter((r) => !members.has(r.share.member))
    return [...stored, ...held]
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
