import {
  blobIdOf,
  type Hex32,
  type Release,
  type SealedResult,
  sealedResultCodec,
} from '../../protocol/index.ts'
import type { NodeStore } from '../storage/index.ts'
import type { JobBook } from './job-book.ts'

/**
 * Owners' releases this node holds and no decided block carries yet. Each sealed result is kept
 * as a blob (every validator serves it to the buyer) and noted on the job's record.
 */
export class ReleasePool {
  readonly #store: Pick<NodeStore, 'blobs'>
  readonly #book: Pick<JobBook, 'advance'>
  readonly #waiting = new Map<Hex32, SealedResult>()

  constructor(init: { store: Pick<NodeStore, 'blobs'>; book: Pick<JobBook, 'advance'> }) {
    this.#store = init.store
    this.#book = init.book
  }

  has(jobId: Hex32): boolean {
    return this.#waiting.has(jobId)
  }

  /** The releases to propose in the next block. */
  releases(): Release[] {
    return [...this.#waiting.values()].map((r) => r.release)
  }

  /** Stores a verified sealed result and queues its release for a block; returns its blob id. */
  async keep(sealed: SealedResult): Promise<Hex32> {
    const bytes = sealedResultCodec.encode(sealed)
    const id = blobIdOf(bytes) as Hex32
    await this.#store.blobs.put(id, bytes)
    this.#waiting.set(sealed.release.jobId, sealed)
    await this.#book.advance(sealed.release.jobId, 'certified', { sealedResult: id })
    return id
  }

  /** The blob id of the sealed result held for a job, if any. */
  sealedBlob(jobId: Hex32): Hex32 | undefined {
    const sealed = this.#waiting.get(jobId)
    return sealed ? (blobIdOf(sealedResultCodec.encode(sealed)) as Hex32) : undefined
  }

  /** A decided block released the job. */
  released(jobId: Hex32): void {
    this.#waiting.delete(jobId)
  }
}
