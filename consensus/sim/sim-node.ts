import type { SignatureVerifier, SignedProposal, SignedVote, ValueId } from '../../protocol/index.ts'
import type { CommitCertificate } from '../certificate.ts'
import { type Consensus, createConsensus } from '../core.ts'
import type { ConsensusMessage, Effect } from '../effect.ts'
import type { DuplicateVoteEvidence } from '../evidence.ts'
import type { Input, Timeout } from '../input.ts'
import type { ConsensusParams } from '../params.ts'
import type { ConsensusState } from '../state.ts'
import type { ValidatorSet } from '../validator-set.ts'
import type { WalEntry } from '../wal.ts'
import { conflictingMessage, forgetLock } from './byzantine.ts'
import { SimulationError } from './errors.ts'
import { MemoryWal } from './memory-wal.ts'
import type { Prng } from './prng.ts'
import type { ByzantineBehaviour } from './scenario.ts'
import { type SimKey, SimSigner } from './sim-crypto.ts'

/** Gossip between drivers: "I am at this height and hold the messages of this digest". */
export interface StatusMessage {
  readonly kind: 'status'
  readonly height: number
  /** Order-independent digest (XOR of signature prefixes) of the messages held for the height. */
  readonly digest: number
}

export type WireMessage = ConsensusMessage | StatusMessage

export type NodeEvent =
  | {
      readonly kind: 'timeout'
      readonly node: number
      readonly incarnation: number
      readonly timeout: Timeout
    }
  | { readonly kind: 'heartbeat'; readonly node: number; readonly incarnation: number }

/** What a node's driver sees of the world: the simulation implements it. */
export interface NodeEnvironment {
  readonly now: number
  readonly validators: ValidatorSet
  readonly verifier: SignatureVerifier
  readonly targetHeight: number
  peersOf(node: number): readonly number[]
  send(from: number, to: number, message: WireMessage): void
  schedule(at: number, event: NodeEvent): void
  makeValue(creator: string, valid: boolean): ValueId
  isValid(valueId: ValueId): boolean
  onVoteSent(signed: SignedVote): void
  onHeightStarted(node: SimNode, height: number): void
  onDecide(node: SimNode, certificate: CommitCertificate): void
  onEvidence(evidence: DuplicateVoteEvidence): void
  onCrash(node: SimNode): void
}

interface Decided {
  readonly certificate: CommitCertificate
  readonly proposal: SignedProposal
}

/** How often a driver gossips its status, and at most how often it answers one peer. */
const HEARTBEAT_MS = 1000
const ANSWER_INTERVAL_MS = 400

/**
 * The host side of one validator instance: runs the pure core, executes its
 * effects against the simulated network, clock and disk, verifies signatures
 * before the core sees a message, buffers messages of future heights, helps
 * lagging peers catch up, and (for faulty keys) misbehaves.
 */
export class SimNode {
  readonly index: number
  readonly name: string
  readonly behaviours: ReadonlySet<ByzantineBehaviour>
  readonly wal = new MemoryWal()
  readonly #env: NodeEnvironment
  readonly #signer: SimSigner
  readonly #consensus: Consensus
  readonly #rng: Prng
  #state: ConsensusState
  #up = true
  #incarnation = 0
  #tornWriteArmed = false
  #nextHeight: number | null = null
  #height = 0
  readonly #decided = new Map<number, Decided>()
  #future = new Map<number, ConsensusMessage[]>()
  /** Messages of the current height that this node accepted or sent, for relaying to peers that missed them. */
  #seen: ConsensusMessage[] = []
  #seenSignatures = new Set<string>()
  #seenDigest = 0
  readonly #lastAnswer = new Map<string, number>()

  constructor(
    index: number,
    name: string,
    key: SimKey,
    params: ConsensusParams,
    behaviours: ReadonlySet<ByzantineBehaviour>,
    env: NodeEnvironment,
    rng: Prng,
  ) {
    this.index = index
    this.name = name
    this.behaviours = behaviours
    this.#env = env
    this.#rng = rng
    this.#signer = new SimSigner(key)
    this.#consensus = createConsensus({ signer: this.#signer, params })
    this.#state = this.#consensus.initialState
  }

  get up(): boolean {
    return this.#up
  }

  get height(): number {
    return this.#height
  }

  get state(): ConsensusState {
    return this.#state
  }

  decided(height: number): CommitCertificate | undefined {
    return this.#decided.get(height)?.certificate
  }

  start(): void {
    this.#startHeight(1, [])
    this.#scheduleHeartbeat()
  }

  /** The next WAL write is interrupted by power loss. */
  armTornWrite(): void {
    this.#tornWriteArmed = true
  }

  disarmTornWrite(): void {
    this.#tornWriteArmed = false
  }

  crash(): void {
    if (!this.#up) return
    this.#up = false
    this.#tornWriteArmed = false
    this.wal.crash()
    this.#env.onCrash(this)
  }

  /** Back from the WAL and the block store (`decided`), with every volatile buffer lost. */
  restart(): void {
    this.#up = true
    this.#incarnation++
    this.#state = this.#consensus.initialState
    this.#future = new Map()
    const next = this.#decided.size + 1
    if (next <= this.#env.targetHeight) this.#startHeight(next, this.wal.entries(next))
    this.#scheduleHeartbeat()
  }

  onEvent(event: NodeEvent): void {
    if (!this.#up || event.incarnation !== this.#incarnation) return
    if (event.kind === 'heartbeat') {
      this.#broadcastStatus()
      this.#scheduleHeartbeat()
    } else {
      this.#run({ kind: 'timeout', timeout: event.timeout })
    }
  }

  receive(from: number, message: WireMessage): void {
    if (!this.#up) return
    if (message.kind === 'status') {
      this.#onStatus(from, message)
      return
    }
    if (!this.#verify(message)) return
    const height = messageHeight(message)
    if (height === this.#height && this.#state.status === 'running') {
      if (this.#remember(message)) this.#run(message)
    } else if (height > this.#height) {
      this.#future.set(height, [...(this.#future.get(height) ?? []), message])
      // Peers are ahead: say where we are so they send what we missed.
      this.#answerOnce(from, 'status', () => this.#sendStatus(from))
    }
    // Messages of past heights are late copies; a peer that is really behind says so in its status.
  }

  #verify(message: ConsensusMessage): boolean {
    return message.kind === 'proposal'
      ? this.#env.verifier.verifyProposal(message.signed)
      : this.#env.verifier.verifyVote(message.signed)
  }

  #remember(message: ConsensusMessage): boolean {
    if (this.#seenSignatures.has(message.signed.signature)) return false
    this.#seenSignatures.add(message.signed.signature)
    this.#seen.push(message)
    this.#seenDigest ^= Number.parseInt(message.signed.signature.slice(2, 10), 16)
    return true
  }

  #startHeight(height: number, recovered: readonly WalEntry[]): void {
    this.#height = height
    this.#seen = []
    this.#seenSignatures = new Set()
    this.#seenDigest = 0
    this.wal.prune(height)
    this.#env.onHeightStarted(this, height)
    // Own messages from before a crash are gossip like any other: a peer may still lack them.
    for (const entry of recovered) if (entry.kind !== 'lock') this.#remember(entry)
    const buffered = this.#future.get(height) ?? []
    this.#future.delete(height)
    this.#run({ kind: 'start-height', height, validators: this.#env.validators, recovered })
    for (const message of buffered) if (this.#remember(message)) this.#run(message)
  }

  /** Feeds an input and everything the host answers in turn, executing effects in order. */
  #run(first: Input): void {
    const inputs: Input[] = [first]
    for (let input = inputs.shift(); input && this.#up; input = inputs.shift()) {
      const [state, effects] = this.#consensus.step(this.#state, input)
      this.#state = this.behaviours.has('amnesia') ? forgetLock(state) : state
      for (const effect of effects) {
        if (!this.#up) return
        this.#execute(effect, inputs)
      }
    }
    const next = this.#nextHeight
    this.#nextHeight = null
    if (next !== null && this.#up) this.#startHeight(next, [])
  }

  #execute(effect: Effect, inputs: Input[]): void {
    const env = this.#env
    switch (effect.kind) {
      case 'persist':
        if (this.#tornWriteArmed) {
          this.wal.write(effect.entry)
          this.crash()
        } else {
          this.wal.append(effect.entry)
        }
        return
      case 'broadcast':
        this.#remember(effect.message)
        this.#broadcast(effect.message)
        return
      case 'schedule-timeout':
        env.schedule(env.now + effect.duration, {
          kind: 'timeout',
          node: this.index,
          incarnation: this.#incarnation,
          timeout: effect.timeout,
        })
        return
      case 'get-value': {
        const forgesInvalid = this.behaviours.has('equivocating-proposer') && this.#rng.chance(0.3)
        const valueId = env.makeValue(this.name, !forgesInvalid)
        inputs.push({ kind: 'propose-value', height: effect.height, round: effect.round, valueId })
        return
      }
      case 'validate-value':
        inputs.push({
          kind: 'validity',
          height: effect.height,
          valueId: effect.valueId,
          valid: env.isValid(effect.valueId),
        })
        return
      case 'decide':
        this.#onDecide(effect.certificate, inputs)
        return
      case 'evidence':
        env.onEvidence(effect.evidence)
        return
    }
  }

  #onDecide(certificate: CommitCertificate, inputs: Input[]): void {
    const state = this.#state
    const proposal =
      state.status === 'running'
        ? state.proposals.get(certificate.round)?.get(certificate.valueId)
        : undefined
    if (!proposal)
      throw new SimulationError('broken-driver-assumption', 'the core decided without the proposal')
    this.#decided.set(certificate.height, { certificate, proposal })
    this.#env.onDecide(this, certificate)
    // Whatever the host still owed the decided height is moot.
    inputs.length = 0
    if (certificate.height < this.#env.targetHeight) this.#nextHeight = certificate.height + 1
  }

  #broadcast(message: ConsensusMessage): void {
    if (this.behaviours.has('silent')) return
    const peers = this.#env.peersOf(this.index)
    const forged = conflictingMessage(message, this.behaviours, this.#signer, this.#state, () =>
      this.#env.makeValue(`${this.name}/equivocation`, true),
    )
    // An equivocator splits its peers three ways: the honest message, the forged one, and both (in either order).
    const shuffled = forged ? this.#rng.shuffle(peers) : peers
    shuffled.forEach((peer, i) => {
      const sent = forged ? [[message], [forged], this.#rng.shuffle([message, forged])][i % 3]! : [message]
      for (const m of sent) {
        if (m.kind === 'vote') this.#env.onVoteSent(m.signed)
        this.#env.send(this.index, peer, m)
      }
    })
    if (message.kind === 'vote' && peers.length === 0) this.#env.onVoteSent(message.signed)
  }

  #onStatus(from: number, status: StatusMessage): void {
    if (this.behaviours.has('silent')) return
    if (status.height < this.#height) {
      this.#sendCertificate(from, status.height)
    } else if (status.height === this.#height && status.digest !== this.#seenDigest) {
      this.#answerOnce(from, 'relay', () => {
        for (const message of this.#seen) this.#env.send(this.index, from, message)
      })
    } else if (status.height > this.#height) {
      this.#answerOnce(from, 'status', () => this.#sendStatus(from))
    }
  }

  /** The proposal and precommits that let a lagging peer decide a height it missed. */
  #sendCertificate(to: number, height: number): void {
    const decided = this.#decided.get(height)
    if (!decided || this.behaviours.has('silent')) return
    this.#answerOnce(to, `certificate:${height}`, () => {
      this.#env.send(this.index, to, { kind: 'proposal', signed: decided.proposal })
      for (const signed of decided.certificate.precommits)
        this.#env.send(this.index, to, { kind: 'vote', signed })
    })
  }

  #answerOnce(peer: number, what: string, answer: () => void): void {
    const key = `${peer}:${what}`
    const last = this.#lastAnswer.get(key)
    if (last !== undefined && this.#env.now - last < ANSWER_INTERVAL_MS) return
    this.#lastAnswer.set(key, this.#env.now)
    answer()
  }

  #sendStatus(to: number): void {
    this.#env.send(this.index, to, { kind: 'status', height: this.#height, digest: this.#seenDigest })
  }

  #broadcastStatus(): void {
    if (this.behaviours.has('silent')) return
    for (const peer of this.#env.peersOf(this.index)) this.#sendStatus(peer)
  }

  #scheduleHeartbeat(): void {
    this.#env.schedule(this.#env.now + HEARTBEAT_MS, {
      kind: 'heartbeat',
      node: this.index,
      incarnation: this.#incarnation,
    })
  }
}

function messageHeight(message: ConsensusMessage): number {
  return message.kind === 'proposal' ? message.signed.proposal.height : message.signed.vote.height
}
