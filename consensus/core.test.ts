import { describe, expect, it } from 'vitest'
import type { SignedVote, ValueId, VoteType } from '../protocol/index.ts'
import { verifyCommitCertificate } from './certificate.ts'
import { type Consensus, createConsensus } from './core.ts'
import type { Effect } from './effect.ts'
import type { Input } from './input.ts'
import type { Mutation } from './mutation.ts'
import type { ConsensusParams } from './params.ts'
import { SimSigner, SimVerifier, simKey } from './sim/sim-crypto.ts'
import type { ConsensusState } from './state.ts'
import { ValidatorSet } from './validator-set.ts'
import type { WalEntry } from './wal.ts'

const keys = [0, 1, 2, 3].map((i) => simKey(`core-test-${i}`))
const signers = keys.map((k) => new SimSigner(k))
const verifier = new SimVerifier(keys)
const validators = new ValidatorSet(keys.map((k) => ({ address: k.address, power: 1 })))
const A: ValueId = `0x${'a'.repeat(64)}`
const B: ValueId = `0x${'b'.repeat(64)}`
const H = 1
const params: ConsensusParams = {
  timeouts: {
    propose: { base: 300, delta: 100 },
    prevote: { base: 200, delta: 100 },
    precommit: { base: 200, delta: 100 },
  },
}

const signerOf = (address: string): SimSigner => signers.find((s) => s.address === address)!
const proposerOf = (round: number): SimSigner => signerOf(validators.proposer(H, round))
/** A validator that proposes in none of the given rounds. */
const bystander = (...rounds: number[]): SimSigner =>
  signers.find((s) => rounds.every((r) => validators.proposer(H, r) !== s.address))!
const others = (me: SimSigner): SimSigner[] => signers.filter((s) => s !== me)

const proposal = (round: number, valueId: ValueId, validRound = -1): Input => ({
  kind: 'proposal',
  signed: proposerOf(round).signProposal({
    height: H,
    round,
    valueId,
    validRound,
    proposer: proposerOf(round).address,
  }),
})
const signedVote = (
  by: SimSigner,
  type: VoteType,
  round: number,
  valueId: ValueId | null,
  height = H,
): SignedVote => by.signVote({ type, height, round, valueId, validator: by.address })
const vote = (by: SimSigner, type: VoteType, round: number, valueId: ValueId | null, height = H): Input => ({
  kind: 'vote',
  signed: signedVote(by, type, round, valueId, height),
})

/** Drives one core, answering validity requests with "valid" like an honest host. */
class Harness {
  readonly consensus: Consensus
  state: ConsensusState
  readonly effects: Effect[] = []

  constructor(me: SimSigner, mutation?: Mutation) {
    this.consensus = createConsensus({ signer: me, params: mutation ? { ...params, mutation } : params })
    this.state = this.consensus.initialState
  }

  feed(...inputs: Input[]): Effect[] {
    const produced: Effect[] = []
    const queue = [...inputs]
    for (let input = queue.shift(); input; input = queue.shift()) {
      const [state, effects] = this.consensus.step(this.state, input)
      this.state = state
      produced.push(...effects)
      for (const e of effects) {
        if (e.kind === 'validate-value')
          queue.push({ kind: 'validity', height: e.height, valueId: e.valueId, valid: true })
      }
    }
    this.effects.push(...produced)
    return produced
  }

  start(recovered?: readonly WalEntry[]): Effect[] {
    return this.feed({ kind: 'start-height', height: H, validators, ...(recovered ? { recovered } : {}) })
  }

  get running() {
    if (this.state.status !== 'running') throw new Error('not running')
    return this.state
  }

  votesSent(type: VoteType, round: number): SignedVote[] {
    return this.effects.flatMap((e) =>
      e.kind === 'broadcast' && e.message.kind === 'vote' && e.message.signed.vote.type === type
        ? e.message.signed.vote.round === round
          ? [e.message.signed]
          : []
        : [],
    )
  }

  persisted(): WalEntry[] {
    return this.effects.flatMap((e) => (e.kind === 'persist' ? [e.entry] : []))
  }
}

/** Every broadcast of an own message comes after the persist of the same message. */
function expectPersistBeforeBroadcast(effects: readonly Effect[]): void {
  effects.forEach((e, i) => {
    if (e.kind !== 'broadcast') return
    const persistedAt = effects.findIndex(
      (p) => p.kind === 'persist' && p.entry.kind !== 'lock' && p.entry.signed === e.message.signed,
    )
    expect(persistedAt).toBeGreaterThanOrEqual(0)
    expect(persistedAt).toBeLessThan(i)
  })
}

describe('consensus core', () => {
  it('as proposer, asks the host for a value, then persists and broadcasts the proposal and its prevote', () => {
    const me = new Harness(proposerOf(0))
    const started = me.start()
    expect(started).toContainEqual({ kind: 'get-value', height: H, round: 0 })
    expect(started).toContainEqual({
      kind: 'schedule-timeout',
      timeout: { kind: 'propose', height: H, round: 0 },
      duration: 300,
    })
    const effects = me.feed({ kind: 'propose-value', height: H, round: 0, valueId: A })
    expect(effects.map((e) => e.kind)).toEqual(['persist', 'broadcast', 'persist', 'broadcast'])
    expectPersistBeforeBroadcast(effects)
    expect(me.votesSent('prevote', 0).map((v) => v.vote.valueId)).toEqual([A])
  })

  it('locks on a polka, precommits, and decides with a certificate the chain would accept', () => {
    const self = bystander(0)
    const me = new Harness(self)
    me.start()
    me.feed(proposal(0, A))
    expect(me.votesSent('prevote', 0).map((v) => v.vote.valueId)).toEqual([A])
    const [p, q, r] = others(self) as [SimSigner, SimSigner, SimSigner]
    me.feed(vote(p, 'prevote', 0, A), vote(q, 'prevote', 0, A))
    expect(me.running.locked).toEqual({ round: 0, valueId: A })
    expect(me.votesSent('precommit', 0).map((v) => v.vote.valueId)).toEqual([A])
    const lockAt = me.effects.findIndex((e) => e.kind === 'persist' && e.entry.kind === 'lock')
    const precommitAt = me.effects.findIndex(
      (e) =>
        e.kind === 'broadcast' && e.message.kind === 'vote' && e.message.signed.vote.type === 'precommit',
    )
    expect(lockAt).toBeGreaterThanOrEqual(0)
    expect(lockAt).toBeLessThan(precommitAt)
    const decided = me.feed(
      vote(p, 'precommit', 0, A),
      vote(r, 'precommit', 0, null),
      vote(q, 'precommit', 0, A),
    )
    const decision = decided.find((e) => e.kind === 'decide')
    expect(decision).toMatchObject({ kind: 'decide', height: H, valueId: A })
    if (decision?.kind !== 'decide') return
    expect(decision.certificate.precommits).toHaveLength(3)
    expect(verifyCommitCertificate(decision.certificate, validators, verifier)).toBe(true)
    expectPersistBeforeBroadcast(me.effects)
    expect(me.feed(vote(r, 'prevote', 1, B))).toEqual([])
  })

  it('keeps its lock against a fresh value, and releases it only for a newer polka', () => {
    const self = bystander(0, 1, 2)
    const me = new Harness(self)
    const [p, q, r] = others(self) as [SimSigner, SimSigner, SimSigner]
    me.start()
    me.feed(proposal(0, A), vote(p, 'prevote', 0, A), vote(q, 'prevote', 0, A))
    me.feed({ kind: 'timeout', timeout: { kind: 'precommit', height: H, round: 0 } })
    expect(me.running.round).toBe(1)
    me.feed(proposal(1, B))
    expect(me.votesSent('prevote', 1).map((v) => v.vote.valueId)).toEqual([null])
    me.feed(vote(p, 'prevote', 1, B), vote(q, 'prevote', 1, B), vote(r, 'prevote', 1, B))
    me.feed({ kind: 'timeout', timeout: { kind: 'precommit', height: H, round: 1 } })
    me.feed(proposal(2, B, 1))
    expect(me.votesSent('prevote', 2).map((v) => v.vote.valueId)).toEqual([B])
  })

  it('with the prevote-ignoring-lock mutation, prevotes against its lock', () => {
    const self = bystander(0, 1)
    const me = new Harness(self, 'prevote-ignoring-lock')
    const [p, q] = others(self) as [SimSigner, SimSigner]
    me.start()
    me.feed(proposal(0, A), vote(p, 'prevote', 0, A), vote(q, 'prevote', 0, A))
    me.feed({ kind: 'timeout', timeout: { kind: 'precommit', height: H, round: 0 } })
    me.feed(proposal(1, B))
    expect(me.votesSent('prevote', 1).map((v) => v.vote.valueId)).toEqual([B])
  })

  it('waits for the polka a proposal claims before prevoting on it', () => {
    const self = bystander(0, 1)
    const me = new Harness(self)
    const [p, q] = others(self) as [SimSigner, SimSigner]
    me.start()
    me.feed({ kind: 'timeout', timeout: { kind: 'propose', height: H, round: 0 } })
    me.feed({ kind: 'timeout', timeout: { kind: 'prevote', height: H, round: 0 } })
    me.feed({ kind: 'timeout', timeout: { kind: 'precommit', height: H, round: 0 } })
    me.feed(proposal(1, A, 0))
    expect(me.votesSent('prevote', 1)).toEqual([])
    me.feed(vote(p, 'prevote', 0, A), vote(q, 'prevote', 0, A))
    expect(me.votesSent('prevote', 1)).toEqual([])
    const third = others(self).find((s) => s !== p && s !== q)!
    me.feed(vote(third, 'prevote', 0, A))
    expect(me.votesSent('prevote', 1).map((v) => v.vote.valueId)).toEqual([A])
  })

  it('schedules growing timeouts on 2f+1 votes for anything, and moves on when they fire', () => {
    const self = bystander(0)
    const me = new Harness(self)
    const [p, q, r] = others(self) as [SimSigner, SimSigner, SimSigner]
    me.start()
    me.feed({ kind: 'timeout', timeout: { kind: 'propose', height: H, round: 0 } })
    const split = me.feed(vote(p, 'prevote', 0, A), vote(q, 'prevote', 0, B))
    expect(split).toContainEqual({
      kind: 'schedule-timeout',
      timeout: { kind: 'prevote', height: H, round: 0 },
      duration: 200,
    })
    me.feed({ kind: 'timeout', timeout: { kind: 'prevote', height: H, round: 0 } })
    expect(me.votesSent('precommit', 0).map((v) => v.vote.valueId)).toEqual([null])
    me.feed(vote(p, 'precommit', 0, null), vote(r, 'precommit', 0, A))
    me.feed({ kind: 'timeout', timeout: { kind: 'precommit', height: H, round: 0 } })
    expect(me.running.round).toBe(1)
    expect(me.effects).toContainEqual({
      kind: 'schedule-timeout',
      timeout: { kind: 'propose', height: H, round: 1 },
      duration: 400,
    })
  })

  it('skips to a higher round once f+1 validators are there', () => {
    const self = bystander(0)
    const me = new Harness(self)
    const [p, q] = others(self) as [SimSigner, SimSigner]
    me.start()
    me.feed(vote(p, 'prevote', 5, null))
    expect(me.running.round).toBe(0)
    me.feed(vote(q, 'precommit', 5, null))
    expect(me.running.round).toBe(5)
  })

  it('turns two votes of one validator in one slot into duplicate-vote evidence', () => {
    const self = bystander(0)
    const me = new Harness(self)
    const [p] = others(self) as [SimSigner]
    me.start()
    const first = vote(p, 'prevote', 0, A)
    const second = vote(p, 'prevote', 0, B)
    me.feed(first, first)
    const effects = me.feed(second)
    expect(effects).toEqual([
      {
        kind: 'evidence',
        evidence: { a: first.kind === 'vote' && first.signed, b: second.kind === 'vote' && second.signed },
      },
    ])
  })

  it('ignores proposals from anyone but the round proposer and messages of other heights', () => {
    const me = new Harness(bystander(0))
    me.start()
    const impostor = bystander(0)
    const forged = impostor.signProposal({
      height: H,
      round: 0,
      valueId: A,
      validRound: -1,
      proposer: impostor.address,
    })
    expect(me.feed({ kind: 'proposal', signed: forged })).toEqual([])
    expect(me.feed(vote(signers[0]!, 'prevote', 0, A, 2))).toEqual([])
  })

  it('after a restart, replays the WAL and re-sends its vote instead of signing a conflicting one', () => {
    const self = bystander(0)
    const before = new Harness(self)
    before.start()
    before.feed(proposal(0, A))
    const wal = before.persisted()
    expect(wal.map((e) => e.kind)).toEqual(['vote'])

    const after = new Harness(self)
    const resumed = after.start(wal)
    expect(after.running.step).toBe('prevote')
    expect(resumed).toContainEqual({
      kind: 'broadcast',
      message: { kind: 'vote', signed: wal[0]!.kind === 'vote' && wal[0]!.signed },
    })
    after.feed({ kind: 'timeout', timeout: { kind: 'propose', height: H, round: 0 } })
    after.feed(proposal(0, B))
    expect(new Set(after.votesSent('prevote', 0).map((v) => v.vote.valueId))).toEqual(new Set([A]))
    expect(after.persisted()).toEqual([])
  })

  it('restores its lock from the WAL', () => {
    const self = bystander(0, 1)
    const before = new Harness(self)
    const [p, q] = others(self) as [SimSigner, SimSigner]
    before.start()
    before.feed(proposal(0, A), vote(p, 'prevote', 0, A), vote(q, 'prevote', 0, A))
    const after = new Harness(self)
    after.start(before.persisted())
    expect(after.running.locked).toEqual({ round: 0, valueId: A })
    after.feed({ kind: 'timeout', timeout: { kind: 'precommit', height: H, round: 0 } }, proposal(1, B))
    expect(after.votesSent('prevote', 1).map((v) => v.vote.valueId)).toEqual([null])
  })

  it('never mutates the state it is given', () => {
    const me = new Harness(bystander(0))
    me.start()
    const snapshot = me.running
    const [p, q] = others(bystander(0)) as [SimSigner, SimSigner]
    me.feed(proposal(0, A), vote(p, 'prevote', 0, A), vote(q, 'prevote', 0, A))
    expect(snapshot.step).toBe('propose')
    expect(snapshot.locked).toBeNull()
    expect(snapshot.proposals.size).toBe(0)
    expect(snapshot.votes.powerAny(0, 'prevote')).toBe(0)
    expect(snapshot.ownVotes.size).toBe(0)
  })

  it('rejects host misuse with coded errors', () => {
    const consensus = createConsensus({ signer: signers[0]!, params })
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (error) {
        return (error as { code?: string }).code
      }
      return undefined
    }
    expect(code(() => consensus.step(consensus.initialState, proposal(0, A)))).toBe('not-started')
    const [started] = consensus.step(consensus.initialState, { kind: 'start-height', height: 5, validators })
    expect(code(() => consensus.step(started, { kind: 'start-height', height: 5, validators }))).toBe(
      'height-regression',
    )
    const entry: WalEntry = { kind: 'vote', signed: signedVote(signers[0]!, 'prevote', 0, A, 1) }
    expect(
      code(() =>
        consensus.step(consensus.initialState, {
          kind: 'start-height',
          height: 2,
          validators,
          recovered: [entry],
        }),
      ),
    ).toBe('wal-height-mismatch')
    expect(
      code(() =>
        createConsensus({
          signer: signers[0]!,
          params: { timeouts: { ...params.timeouts, propose: { base: 0, delta: 1 } } },
        }),
      ),
    ).toBe('invalid-params')
  })
})
