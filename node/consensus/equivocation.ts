import type { Logger } from 'pino'
import type { SignedVote } from '../../consensus/index.ts'
import type { Address, DuplicateVoteEvidence } from '../../protocol/index.ts'
import type { NodeChain } from '../ports.ts'

/**
 * Duplicate votes seen by consensus go to ValidatorRegistry.slashDuplicateVote. One proof takes the
 * whole stake, so each equivocator is reported once; losing the race to another reporter is fine.
 */
export class EquivocationReports {
  readonly #chain: Pick<NodeChain, 'slashDuplicateVote'>
  readonly #epoch: () => number
  readonly #log: Logger
  readonly #reported = new Set<Address>()

  constructor(init: { chain: Pick<NodeChain, 'slashDuplicateVote'>; epoch: () => number; logger: Logger }) {
    this.#chain = init.chain
    this.#epoch = init.epoch
    this.#log = init.logger
  }

  async report(first: SignedVote, second: SignedVote): Promise<void> {
    const { validator, height, round, type } = first.vote
    this.#log.warn({ validator, height, round, type }, 'duplicate vote evidence')
    if (this.#reported.has(validator)) return
    this.#reported.add(validator)
    const evidence: DuplicateVoteEvidence = { version: 1, epoch: this.#epoch(), first, second }
    try {
      const slashed = await this.#chain.slashDuplicateVote(evidence)
      this.#log.warn({ validator, height }, slashed ? 'equivocator slashed' : 'equivocator already slashed')
    } catch (e) {
      // Let the next piece of evidence try again.
      this.#reported.delete(validator)
      this.#log.error({ err: e, validator }, 'submitting duplicate vote evidence failed')
    }
  }
}
