import type { SignedProposal, SignedVote } from '../../consensus/index.ts'

/** What a vote's signature covers: two copies with the same key are the same vote, however sent. */
export const voteKey = (vote: SignedVote['vote']): string =>
  `${vote.type}:${vote.height}:${vote.round}:${vote.valueId ?? 'nil'}:${vote.validator.toLowerCase()}`

/** What a proposal's signature covers. */
export const proposalKey = (proposal: SignedProposal['proposal']): string =>
  `${proposal.height}:${proposal.round}:${proposal.valueId}:${proposal.validRound}:${proposal.proposer.toLowerCase()}`

/** Most keys kept: far above what honest validators sign for the heights not decided yet. */
export const MAX_TAKEN = 100_000

/**
 * The signed consensus messages a topic took, by what their signature covers, for heights not
 * decided yet. A re-sent copy is new bytes (`resentAt`), so gossip's content ids let any number of
 * copies through, and anyone can make them from a message they saw: a copy of one already taken is
 * ignored here before its signature is checked again, and never forwarded. Keys are added only
 * after a copy checked out, so a forged copy cannot shut the real one out.
 */
export class TakenMessages {
  readonly #byHeight = new Map<number, Set<string>>()
  readonly #max: number
  #size = 0

  constructor(max = MAX_TAKEN) {
    this.#max = max
  }

  get size(): number {
    return this.#size
  }

  has(height: number, key: string): boolean {
    return this.#byHeight.get(height)?.has(key) === true
  }

  /** Records `key` at `height`, forgetting every height up to `decided` and, past the bound, the lowest. */
  add(height: number, key: string, decided: number): void {
    for (const h of this.#byHeight.keys()) if (h <= decided) this.#drop(h)
    let keys = this.#byHeight.get(height)
    if (keys === undefined) {
      keys = new Set()
      this.#byHeight.set(height, keys)
    }
    if (keys.has(key)) return
    keys.add(key)
    this.#size++
    while (this.#size > this.#max) this.#drop(Math.min(...this.#byHeight.keys()))
  }

  #drop(height: number): void {
    this.#size -= this.#byHeight.get(height)?.size ?? 0
    this.#byHeight.delete(height)
  }
}
