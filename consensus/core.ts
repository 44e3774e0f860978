import type {
  Address,
  ConsensusSigner,
  SignedProposal,
  SignedVote,
  ValueId,
  VoteType,
} from '../protocol/index.ts'
import type { CommitCertificate } from './certificate.ts'
import type { ConsensusMessage, Effect } from './effect.ts'
import { ConsensusError } from './errors.ts'
import type { Input, Timeout } from './input.ts'
import { type ConsensusParams, type TimeoutKind, timeoutDuration, validateParams } from './params.ts'
import { type ConsensusState, type HeightState, IDLE } from './state.ts'
import type { ValidatorSet } from './validator-set.ts'
import { VoteBook } from './vote-book.ts'
import type { WalEntry } from './wal.ts'

export interface ConsensusContext {
  /** Must sign deterministically, or replaying the same inputs would yield different effects. */
  readonly signer: ConsensusSigner
  readonly params: ConsensusParams
}

export type StepResult = readonly [ConsensusState, readonly Effect[]]

/** A Tendermint validator as a pure state machine: `step(state, input) -> [state, effects]`. */
export interface Consensus {
  readonly address: Address
  readonly initialState: ConsensusState
  step(state: ConsensusState, input: Input): StepResult
}

export function createConsensus(context: ConsensusContext): Consensus {
  validateParams(context.params)
  return {
    address: context.signer.address,
    initialState: IDLE,
    step: (state, input) => step(context, state, input),
  }
}

/**
 * Tendermint, Algorithm 1 of "The latest gossip on BFT consensus" (Buchman,
 * Kwon, Milosevic, 2018). Never mutates `state`.
 */
export function step(context: ConsensusContext, state: ConsensusState, input: Input): StepResult {
  if (input.kind === 'start-height') {
    if (state.status === 'running' && input.height <= state.height) {
      throw new ConsensusError(
        'height-regression',
        `cannot start height ${input.height} after ${state.height}`,
      )
    }
    return Transition.startHeight(context, input.height, input.validators, input.recovered ?? [])
  }
  if (state.status === 'idle') throw new ConsensusError('not-started', `${input.kind} before start-height`)
  const t = new Transition(context, state)
  if (t.acceptsInputs()) {
    switch (input.kind) {
      case 'proposal':
        t.onProposal(input.signed)
        break
      case 'vote':
        t.onVote(input.signed)
        break
      case 'timeout':
        t.onTimeout(input.timeout)
        break
      case 'propose-value':
        t.onProposeValue(input.height, input.round, input.valueId)
        break
      case 'validity':
        t.onValidity(input.height, input.valueId, input.valid)
        break
    }
    t.progress()
  }
  return t.result()
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** One step's worth of changes: a private copy of the state plus the effects, in order. */
class Transition {
  readonly #context: ConsensusContext
  readonly #s: Mutable<HeightState>
  readonly #effects: Effect[] = []

  constructor(context: ConsensusContext, state: HeightState) {
    this.#context = context
    this.#s = { ...state }
  }

  static startHeight(
    context: ConsensusContext,
    height: number,
    validators: ValidatorSet,
    recovered: readonly WalEntry[],
  ): StepResult {
    const t = new Transition(context, {
      status: 'running',
      height,
      validators,
      round: 0,
      step: 'propose',
      locked: null,
      valid: null,
      decision: null,
      proposals: new Map(),
      votes: VoteBook.empty(validators),
      verdicts: new Map(),
      validating: new Set(),
      ownVotes: new Map(),
      ownProposals: new Map(),
      awaitingValue: null,
      fired: new Set(),
    })
    t.#resume(recovered)
    t.progress()
    return t.result()
  }

  result(): StepResult {
    return [this.#s, this.#effects]
  }

  acceptsInputs(): boolean {
    return this.#s.step !== 'decided'
  }

  get #address(): Address {
    return this.#context.signer.address
  }

  get #mutation() {
    return this.#context.params.mutation
  }

  // --- inputs -------------------------------------------------------------

  onProposal(signed: SignedProposal): void {
    const s = this.#s
    const p = signed.proposal
    if (p.height !== s.height || p.round < 0 || p.validRound < -1 || p.validRound >= p.round) return
    if (p.proposer !== s.validators.proposer(s.height, p.round)) return
    const ofRound = s.proposals.get(p.round)
    if (ofRound?.has(p.valueId)) return
    s.proposals = new Map(s.proposals).set(p.round, new Map(ofRound).set(p.valueId, signed))
    this.#validity(p.valueId)
  }

  onVote(signed: SignedVote): void {
    const s = this.#s
    if (signed.vote.height !== s.height || signed.vote.round < 0) return
    const outcome = s.votes.add(signed)
    if (outcome.kind === 'added' || outcome.kind === 'conflict') s.votes = outcome.book
    if (outcome.kind === 'conflict')
      this.#emit({ kind: 'evidence', evidence: { a: outcome.existing, b: signed } })
  }

  onTimeout(timeout: Timeout): void {
    const s = this.#s
    if (timeout.height !== s.height || timeout.round !== s.round) return
    if (timeout.kind === 'propose' && s.step === 'propose') {
      this.#castVote('prevote', null)
      s.step = 'prevote'
    } else if (timeout.kind === 'prevote' && s.step === 'prevote') {
      this.#castVote('precommit', null)
      s.step = 'precommit'
    } else if (timeout.kind === 'precommit') {
      this.#startRound(s.round + 1)
    }
  }

  onProposeValue(height: number, round: number, valueId: ValueId): void {
    const s = this.#s
    // A late answer for a round already left behind is simply stale.
    if (height !== s.height || round !== s.round || s.awaitingValue !== round || s.step !== 'propose') return
    s.awaitingValue = null
    s.verdicts = new Map(s.verdicts).set(valueId, true)
    this.#propose(valueId, -1)
  }

  onValidity(height: number, valueId: ValueId, valid: boolean): void {
    const s = this.#s
    if (height !== s.height) return
    s.verdicts = new Map(s.verdicts).set(valueId, valid)
    const validating = new Set(s.validating)
    validating.delete(valueId)
    s.validating = validating
  }

  // --- the "upon" rules -----------------------------------------------------

  /** Applies rules until none fires: one input can enable a chain of them. */
  progress(): void {
    while (
      this.#s.step !== 'decided' &&
      (this.#decide() ||
        this.#skipRound() ||
        this.#prevoteOnProposal() ||
        this.#scheduleTimeoutPrevote() ||
        this.#lockOnPolka() ||
        this.#precommitNilOnNilPolka() ||
        this.#scheduleTimeoutPrecommit())
    );
  }

  /** Lines 49-54: a proposal and 2f+1 precommits for it in any round. */
  #decide(): boolean {
    const s = this.#s
    for (const round of s.votes.rounds()) {
      for (const valueId of s.votes.valuesVoted(round, 'precommit')) {
        if (!this.#isQuorum(s.votes.powerFor(round, 'precommit', valueId))) continue
        if (!s.proposals.get(round)?.has(valueId) || this.#validity(valueId) !== true) continue
        const certificate: CommitCertificate = {
          height: s.height,
          round,
          valueId,
          precommits: s.votes.votesFor(round, 'precommit', valueId),
        }
        s.decision = certificate
        s.step = 'decided'
        this.#emit({ kind: 'decide', height: s.height, valueId, certificate })
        return true
      }
    }
    return false
  }

  /** Lines 55-56: f+1 validators are already in a higher round, so at least one honest one is. */
  #skipRound(): boolean {
    const s = this.#s
    const rounds = new Set([...s.votes.rounds(), ...s.proposals.keys()])
    const higher = [...rounds].filter((r) => r > s.round).sort((a, b) => b - a)
    for (const round of higher) {
      const proposer = s.validators.proposer(s.height, round)
      const proposerPower =
        s.proposals.has(round) && !s.votes.hasSender(round, proposer) ? s.validators.powerOf(proposer) : 0
      if (s.validators.isOneThird(s.votes.senderPower(round) + proposerPower)) {
        this.#startRound(round)
        return true
      }
    }
    return false
  }

  /** Lines 22-33: prevote on the round's proposal, fresh (validRound -1) or backed by an earlier polka. */
  #prevoteOnProposal(): boolean {
    const s = this.#s
    if (s.step !== 'propose') return false
    for (const [valueId, signed] of s.proposals.get(s.round) ?? []) {
      const validRound = signed.proposal.validRound
      const backed = validRound >= 0 && this.#isQuorum(s.votes.powerFor(validRound, 'prevote', valueId))
      if (validRound >= 0 && !backed) continue
      const valid = this.#validity(valueId)
      if (valid === undefined) continue
      const locked = s.locked
      const lockAllows =
        locked === null ||
        locked.valueId === valueId ||
        (backed && locked.round <= validRound) ||
        this.#mutation === 'prevote-ignoring-lock'
      this.#castVote('prevote', valid && lockAllows ? valueId : null)
      s.step = 'prevote'
      return true
    }
    return false
  }

  /** Lines 34-35. */
  #scheduleTimeoutPrevote(): boolean {
    const s = this.#s
    if (s.step !== 'prevote' || !this.#isQuorum(s.votes.powerAny(s.round, 'prevote'))) return false
    if (!this.#once(`timeout-prevote:${s.round}`)) return false
    this.#scheduleTimeout('prevote')
    return true
  }

  /** Lines 36-43: a polka for the round's proposal locks (if still prevoting) and always sets validValue. */
  #lockOnPolka(): boolean {
    const s = this.#s
    if (s.step !== 'prevote' && s.step !== 'precommit') return false
    if (s.fired.has(`polka:${s.round}`)) return false
    for (const valueId of s.votes.valuesVoted(s.round, 'prevote')) {
      if (!this.#isQuorum(s.votes.powerFor(s.round, 'prevote', valueId))) continue
      if (!s.proposals.get(s.round)?.has(valueId) || this.#validity(valueId) !== true) continue
      this.#once(`polka:${s.round}`)
      const polka = { round: s.round, valueId }
      const locking = s.step === 'prevote'
      if (locking) s.locked = polka
      s.valid = polka
      this.#persist({ kind: 'lock', height: s.height, locked: s.locked, valid: s.valid })
      if (locking) {
        this.#castVote('precommit', valueId)
        s.step = 'precommit'
      }
      return true
    }
    return false
  }

  /** Lines 44-46. */
  #precommitNilOnNilPolka(): boolean {
    const s = this.#s
    if (s.step !== 'prevote' || !this.#isQuorum(s.votes.powerFor(s.round, 'prevote', null))) return false
    this.#castVote('precommit', null)
    s.step = 'precommit'
    return true
  }

  /** Lines 47-48. */
  #scheduleTimeoutPrecommit(): boolean {
    const s = this.#s
    if (!this.#isQuorum(s.votes.powerAny(s.round, 'precommit'))) return false
    if (!this.#once(`timeout-precommit:${s.round}`)) return false
    this.#scheduleTimeout('precommit')
    return true
  }

  // --- actions --------------------------------------------------------------

  /**
   * Lines 11-21. Unlike the paper, the proposer also schedules timeoutPropose:
   * if its host never answers `get-value`, it then prevotes nil like everyone else.
   */
  #startRound(round: number): void {
    const s = this.#s
    s.round = round
    s.step = 'propose'
    s.awaitingValue = null
    if (s.validators.proposer(s.height, round) === this.#address) {
      const own = s.ownProposals.get(round)
      if (own) {
        this.#broadcast({ kind: 'proposal', signed: own })
      } else if (s.valid && this.#mutation !== 'ignore-valid-round') {
        this.#propose(s.valid.valueId, s.valid.round)
      } else {
        s.awaitingValue = round
        this.#emit({ kind: 'get-value', height: s.height, round })
      }
    }
    this.#scheduleTimeout('propose')
  }

  /**
   * Rebuilds the height from the WAL: own messages are put back so they are
   * never contradicted, the lock is restored, and the validator re-enters the
   * last round it acted in at the step it had reached, re-sending what peers
   * may have missed while it was down.
   */
  #resume(recovered: readonly WalEntry[]): void {
    const s = this.#s
    let round = 0
    for (const entry of recovered) {
      switch (entry.kind) {
        case 'proposal': {
          const p = entry.signed.proposal
          this.#checkRecoveredHeight(p.height)
          s.ownProposals = new Map(s.ownProposals).set(p.round, entry.signed)
          this.onProposal(entry.signed)
          round = Math.max(round, p.round)
          break
        }
        case 'vote': {
          const v = entry.signed.vote
          this.#checkRecoveredHeight(v.height)
          s.ownVotes = new Map(s.ownVotes).set(`${v.round}:${v.type}`, entry.signed)
          this.onVote(entry.signed)
          round = Math.max(round, v.round)
          break
        }
        case 'lock':
          this.#checkRecoveredHeight(entry.height)
          s.locked = entry.locked
          s.valid = entry.valid
          break
      }
    }
    this.#startRound(round)
    for (const type of ['prevote', 'precommit'] as const) {
      const own = s.ownVotes.get(`${round}:${type}`)
      if (!own) continue
      this.#broadcast({ kind: 'vote', signed: own })
      s.step = type
      // The peers' votes that would have scheduled this timeout may be gone for good.
      this.#scheduleTimeout(type)
    }
  }

  #checkRecoveredHeight(height: number): void {
    if (height !== this.#s.height) {
      throw new ConsensusError(
        'wal-height-mismatch',
        `WAL entry of height ${height} replayed into ${this.#s.height}`,
      )
    }
  }

  #propose(valueId: ValueId, validRound: number): void {
    const s = this.#s
    const signed = this.#context.signer.signProposal({
      height: s.height,
      round: s.round,
      valueId,
      validRound,
      proposer: this.#address,
    })
    s.ownProposals = new Map(s.ownProposals).set(s.round, signed)
    this.onProposal(signed)
    this.#persistThenBroadcast({ kind: 'proposal', signed }, { kind: 'proposal', signed })
  }

  /**
   * Signs a vote unless this (round, type) slot is already signed, in which
   * case the earlier vote is re-sent: this is the one place votes are signed,
   * so an honest validator cannot double-sign, even after a restart.
   */
  #castVote(type: VoteType, valueId: ValueId | null): void {
    const s = this.#s
    const slot = `${s.round}:${type}`
    const earlier = s.ownVotes.get(slot)
    if (earlier) {
      this.#broadcast({ kind: 'vote', signed: earlier })
      return
    }
    if (!s.validators.has(this.#address)) return
    const signed = this.#context.signer.signVote({
      type,
      height: s.height,
      round: s.round,
      valueId,
      validator: this.#address,
    })
    s.ownVotes = new Map(s.ownVotes).set(slot, signed)
    this.onVote(signed)
    this.#persistThenBroadcast({ kind: 'vote', signed }, { kind: 'vote', signed })
  }

  #persistThenBroadcast(entry: WalEntry, message: ConsensusMessage): void {
    if (this.#mutation === 'broadcast-before-persist') {
      this.#broadcast(message)
      this.#persist(entry)
    } else {
      this.#persist(entry)
      this.#broadcast(message)
    }
  }

  #persist(entry: WalEntry): void {
    this.#emit({ kind: 'persist', entry })
  }

  #broadcast(message: ConsensusMessage): void {
    this.#emit({ kind: 'broadcast', message })
  }

  #scheduleTimeout(kind: TimeoutKind): void {
    const s = this.#s
    this.#emit({
      kind: 'schedule-timeout',
      timeout: { kind, height: s.height, round: s.round },
      duration: timeoutDuration(this.#context.params, kind, s.round),
    })
  }

  /** The host's verdict, asking for it (once) when unknown. */
  #validity(valueId: ValueId): boolean | undefined {
    const s = this.#s
    const verdict = s.verdicts.get(valueId)
    if (verdict === undefined && !s.validating.has(valueId)) {
      s.validating = new Set(s.validating).add(valueId)
      this.#emit({ kind: 'validate-value', height: s.height, valueId })
    }
    return verdict
  }

  #isQuorum(power: number): boolean {
    const validators = this.#s.validators
    if (this.#mutation === 'quorum-2f') return power >= Math.max(1, 2 * validators.maxFaultyPower)
    return validators.isQuorum(power)
  }

  /** True the first time it is called with a key in this height. */
  #once(key: string): boolean {
    if (this.#s.fired.has(key)) return false
    this.#s.fired = new Set(this.#s.fired).add(key)
    return true
  }

  #emit(effect: Effect): void {
    this.#effects.push(effect)
  }
}
