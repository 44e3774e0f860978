import {
  type Address,
  type AttestationBatch,
  type Hex32,
  MAX_BATCH_ATTESTATIONS,
  type ResultAttestation,
} from '../../protocol/index.ts'
import { NodeError } from '../errors.ts'

/** Long enough to gather what a burst's evaluations finish together, short next to a height. */
export const ATTESTATION_BATCH_WINDOW_MS = 20

export interface AttestationBatcherDeps {
  /** this node's validator: the batches speak for it alone */
  readonly validator: Address
  /** this node's attestation pool: an attestation counts here at once, whatever its gossip waits for */
  readonly pool: { add(attestation: ResultAttestation): void }
  readonly publish: (batch: AttestationBatch) => Promise<void>
  readonly windowMs?: number
}

/** One window's attestations: they go out together, and whoever queued one learns how. */
interface Window {
  readonly byJob: Map<Hex32, ResultAttestation>
  readonly sent: PromiseWithResolvers<void>
  timer: NodeJS.Timeout | undefined
}

/**
 * Gossips this node's own attestations in batches. Each gossip message costs every validator
 * transport, scoring and validation far above an attestation's own check, and a burst finishes
 * many evaluations within milliseconds: what is queued within a short window of the first goes out
 * as one message (several past MAX_BATCH_ATTESTATIONS). Stopped, it holds nothing back.
 */
export class AttestationBatcher {
  readonly #deps: AttestationBatcherDeps
  readonly #windowMs: number
  #window: Window | undefined
  #started = false

  constructor(deps: AttestationBatcherDeps) {
    this.#deps = deps
    this.#windowMs = deps.windowMs ?? ATTESTATION_BATCH_WINDOW_MS
  }

  start(): void {
    this.#started = true
  }

  /** Publishes what is queued; later attestations go out one by one until started again. */
  async stop(): Promise<void> {
    this.#started = false
    await this.#flush()
  }

  /**
   * Adds this node's attestation to its pool now and queues it for gossip. Resolves once the batch
   * carrying it is published; rejects if that publication failed.
   */
  attest(attestation: ResultAttestation): Promise<void> {
    if (attestation.validator !== this.#deps.validator)
      throw new NodeError(
        'FOREIGN_ATTESTATION',
        `attestation of job ${attestation.jobId} is ${attestation.validator}'s, not ${this.#deps.validator}'s`,
      )
    this.#deps.pool.add(attestation)
    let window = this.#window
    if (window === undefined) {
      window = { byJob: new Map(), sent: Promise.withResolvers<void>(), timer: undefined }
      this.#window = window
    }
    // A job evaluated again (a retry, a restart) is attested once: peers refuse a job twice in a batch.
    window.byJob.set(attestation.jobId, attestation)
    const { promise } = window.sent
    if (!this.#started || window.byJob.size >= MAX_BATCH_ATTESTATIONS) void this.#flush()
    else window.timer ??= setTimeout(() => void this.#flush(), this.#windowMs).unref()
    return promise
  }

  async #flush(): Promise<void> {
    const window = this.#window
    if (window === undefined) return
    this.#window = undefined
    clearTimeout(window.timer)
    const queued = [...window.byJob.values()]
    const batches: Promise<void>[] = []
    for (let i = 0; i < queued.length; i += MAX_BATCH_ATTESTATIONS)
      batches.push(
        this.#deps.publish({
          version: 1,
          validator: this.#deps.validator,
          attestations: queued.slice(i, i + MAX_BATCH_ATTESTATIONS),
        }),
      )
    try {
      await Promise.all(batches)
      window.sent.resolve()
    } catch (error) {
      window.sent.reject(error)
    }
  }
}
