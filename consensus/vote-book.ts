import type { Address, SignedVote, ValueId, VoteType } from '../protocol/index.ts'
import type { ValidatorSet } from './validator-set.ts'

/** A value or nil, as a map key. */
type ValueKey = ValueId | 'nil'

const keyOf = (valueId: ValueId | null): ValueKey => valueId ?? 'nil'

interface Tally {
  /** The first vote of each validator: what "2f+1 votes for anything" counts, once per validator. */
  readonly byValidator: ReadonlyMap<Address, SignedVote>
  readonly power: number
  /** Every signer of each value, equivocators included. */
  readonly byValue: ReadonlyMap<ValueKey, ValueVotes>
}

interface ValueVotes {
  readonly votes: ReadonlyMap<Address, SignedVote>
  readonly power: number
}

interface RoundVotes {
  readonly prevote: Tally
  readonly precommit: Tally
  /** Distinct validators with any vote in the round, for the f+1 round skip. */
  readonly senders: ReadonlySet<Address>
  readonly senderPower: number
}

export type AddVoteOutcome =
  | { readonly kind: 'added'; readonly book: VoteBook }
  | { readonly kind: 'duplicate' }
  /** Added to its value's signers, and evidence against the validator. */
  | { readonly kind: 'conflict'; readonly book: VoteBook; readonly existing: SignedVote }
  | { readonly kind: 'not-a-validator' }

const EMPTY_TALLY: Tally = { byValidator: new Map(), power: 0, byValue: new Map() }
const EMPTY_VALUE_VOTES: ValueVotes = { votes: new Map(), power: 0 }
const EMPTY_ROUND: RoundVotes = {
  prevote: EMPTY_TALLY,
  precommit: EMPTY_TALLY,
  senders: new Set(),
  senderPower: 0,
}

/**
 * The votes of one height, weighted by power. Immutable: `add` returns a new
 * book sharing every untouched round, so the core can stay a pure function
 * without copying the whole height on every vote.
 *
 * Like the paper, a quorum for a value counts the distinct signers of that
 * value, so an equivocator's second vote still counts for its own value: a
 * peer relaying a certificate must be able to convince a node that first saw
 * the equivocator's other vote. Two such quorums would still need an honest
 * validator to sign both, which it never does. "Votes for anything" counts
 * every validator once, by its first vote.
 */
export class VoteBook {
  readonly validators: ValidatorSet
  readonly #rounds: ReadonlyMap<number, RoundVotes>

  private constructor(validators: ValidatorSet, rounds: ReadonlyMap<number, RoundVotes>) {
    this.validators = validators
    this.#rounds = rounds
  }

  static empty(validators: ValidatorSet): VoteBook {
    return new VoteBook(validators, new Map())
  }

  add(signed: SignedVote): AddVoteOutcome {
    const { vote } = signed
    const power = this.validators.powerOf(vote.validator)
    if (power === 0) return { kind: 'not-a-validator' }
    const round = this.#rounds.get(vote.round) ?? EMPTY_ROUND
    const tally = round[vote.type]
    const key = keyOf(vote.valueId)
    const ofValue = tally.byValue.get(key) ?? EMPTY_VALUE_VOTES
    if (ofValue.votes.has(vote.validator)) return { kind: 'duplicate' }
    const existing = tally.byValidator.get(vote.validator)
    const updated: Tally = {
      byValidator: existing ? tally.byValidator : new Map(tally.byValidator).set(vote.validator, signed),
      power: tally.power + (existing ? 0 : power),
      byValue: new Map(tally.byValue).set(key, {
        votes: new Map(ofValue.votes).set(vote.validator, signed),
        power: ofValue.power + power,
      }),
    }
    const isNewSender = !round.senders.has(vote.validator)
    const next: RoundVotes = {
      ...round,
      [vote.type]: updated,
      senders: isNewSender ? new Set(round.senders).add(vote.validator) : round.senders,
      senderPower: round.senderPower + (isNewSender ? power : 0),
    }
    const book = new VoteBook(this.validators, new Map(this.#rounds).set(vote.round, next))
    return existing ? { kind: 'conflict', book, existing } : { kind: 'added', book }
  }

  /** Power of the votes of this type in the round, whatever their value. */
  powerAny(round: number, type: VoteType): number {
    return this.#rounds.get(round)?.[type].power ?? 0
  }

  powerFor(round: number, type: VoteType, valueId: ValueId | null): number {
    return this.#rounds.get(round)?.[type].byValue.get(keyOf(valueId))?.power ?? 0
  }

  /** The non-nil values voted for in the round, heaviest first (ties by id, for determinism). */
  valuesVoted(round: number, type: VoteType): ValueId[] {
    const byValue = this.#rounds.get(round)?.[type].byValue
    if (!byValue) return []
    return [...byValue.entries()]
      .filter((e): e is [ValueId, ValueVotes] => e[0] !== 'nil')
      .sort((a, b) => b[1].power - a[1].power || (a[0] < b[0] ? -1 : 1))
      .map(([valueId]) => valueId)
  }

  votesFor(round: number, type: VoteType, valueId: ValueId | null): SignedVote[] {
    return [...(this.#rounds.get(round)?.[type].byValue.get(keyOf(valueId))?.votes.values() ?? [])]
  }

  hasSender(round: number, validator: Address): boolean {
    return this.#rounds.get(round)?.senders.has(validator) ?? false
  }

  senderPower(round: number): number {
    return this.#rounds.get(round)?.senderPower ?? 0
  }

  rounds(): number[] {
    return [...this.#rounds.keys()].sort((a, b) => a - b)
  }
}
