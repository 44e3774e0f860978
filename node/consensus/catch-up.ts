import type { Logger } from 'pino'
import type { DecidedRecord, Hex32, StatusMessage } from '../../protocol/index.ts'
import type { Ledger } from '../jobs/ledger.ts'
import { recordsToApply, verifyDecidedRecord } from './decided-chain.ts'
import type { Epoch } from './epochs.ts'
import { CatchUpError } from './errors.ts'

export interface CatchUpDeps {
  readonly ledger: Pick<Ledger, 'height' | 'headHash'>
  /** the id of this node's last decided record */
  readonly head: () => Hex32 | null
  /** the epoch consensus runs in now: it moves as `commit` applies the blocks that end one */
  readonly epoch: () => Epoch
  /** a later epoch's set and verifier, as the registry has them (Epochs.load) */
  readonly laterEpoch: (number: number) => Promise<Epoch>
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
 *
 * Records may span an epoch change: each is verified against the set of the epoch its certificate
 * names, read from the registry, and applied only if that is the epoch the node reached by
 * applying its parent (the registry's epoch at the parent's chain number).
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
    let applied = 0
    try {
      const records = await recordsToApply(
        status.head,
        { height: ledger.height, headHash: ledger.headHash },
        this.#deps.fetch,
        (record) => this.#verify(record),
      )
      for (const record of records) {
        const expected = this.#deps.epoch().number
        if (record.certificate.epoch !== expected) {
          throw new CatchUpError(
            'EPOCH_MISMATCH',
            `height ${record.block.height} is certified in epoch ${record.certificate.epoch}; the chain puts it in epoch ${expected}`,
          )
        }
        await this.#deps.commit(record)
        applied++
      }
    } catch (e) {
      logger.warn({ err: e }, 'catch-up failed')
    } finally {
      if (applied > 0) {
        logger.info({ height: ledger.height, blocks: applied }, 'caught up from peers')
        this.#deps.jumpTo(ledger.height + 1)
      }
      this.#running = false
    }
  }

  /** Against the set of the epoch the certificate names: this one or a later one, never an earlier. */
  async #verify(record: DecidedRecord): Promise<boolean> {
    const current = this.#deps.epoch()
    const number = record.certificate.epoch
    if (number < current.number) return false
    const epoch = number === current.number ? current : await this.#deps.laterEpoch(number)
    return verifyDecidedRecord(record, epoch.number, epoch.validators, epoch.verifier)
  }
}
