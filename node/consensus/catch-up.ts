import type { Logger } from 'pino'
import type { DecidedRecord, Hex32, StatusMessage } from '../../protocol/index.ts'
import type { Ledger } from '../jobs/ledger.ts'
import { recordsToApply, verifyDecidedRecord } from './decided-chain.ts'
import type { Epoch } from './epochs.ts'

export interface CatchUpDeps {
  readonly ledger: Pick<Ledger, 'height' | 'headHash'>
  /** the id of this node's last decided record */
  readonly head: () => Hex32 | null
  readonly epoch: () => Epoch
  /** a blob from the store, else from peers */
  readonly fetch: (id: Hex32) => Promise<Uint8Array>
  readonly commit: (record: DecidedRecord) => Promise<void>
  /** tells consensus that the ledger moved on to `height - 1` */
  readonly jumpTo: (height: number) => void
  readonly publish: (status: StatusMessage) => Promise<void>
  readonly logger: Logger
}

/**
 * How a node behind its peers gets level. Every node announces its height and decided head now
 * and then; one that hears of a higher head walks the peer's decided-record chain back to its own
 * height, verifies each record's certificate and applies them in order.
 */
export class CatchUp {
  readonly #deps: CatchUpDeps
  #running = false
  #timer: NodeJS.Timeout | undefined

  constructor(deps: CatchUpDeps) {
    this.#deps = deps
  }

  /** Announces this node's status every `intervalMs`. */
  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.announce(), intervalMs)
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  async announce(): Promise<void> {
    const status: StatusMessage = {
      version: 1,
      height: this.#deps.ledger.height,
      head: this.#deps.head(),
      at: Date.now(),
    }
    await this.#deps.publish(status).catch(() => undefined)
  }

  /** A peer's status: if it is ahead, catch up with it (one catch-up at a time). */
  async onStatus(status: StatusMessage): Promise<void> {
    const { ledger, logger } = this.#deps
    if (this.#running || status.head === null || status.height <= ledger.height) return
    this.#running = true
    try {
      const epoch = this.#deps.epoch()
      const records = await recordsToApply(
        status.head,
        { height: ledger.height, headHash: ledger.headHash },
        this.#deps.fetch,
        (record) => verifyDecidedRecord(record, epoch.number, epoch.validators, epoch.verifier),
      )
      for (const record of records) await this.#deps.commit(record)
      if (records.length > 0) {
        logger.info({ height: ledger.height, blocks: records.length }, 'caught up from peers')
        this.#deps.jumpTo(ledger.height + 1)
      }
    } catch (e) {
      logger.warn({ err: e }, 'catch-up failed')
    } finally {
      this.#running = false
    }
  }
}
