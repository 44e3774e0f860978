import type { Logger } from 'pino'
import type {
  Consensus,
  ConsensusState,
  CommitCertificate as CoreCertificate,
  Effect,
  Input,
  SignedProposal,
  SignedVote,
  ValidatorSet,
  WalEntry,
} from '../../consensus/index.ts'
import type { Block, Hex32 } from '../../protocol/index.ts'

/** The WAL as the driver needs it: appends are made durable by `sync`, before dependent effects leave. */
export interface DriverWal {
  append(entry: WalEntry): void
  entries(height: number): readonly WalEntry[]
  sync(): Promise<void>
}

/** What the driver asks of the node: blocks, their validity, decisions, and the wire. */
export interface DriverApp {
  validators(height: number): ValidatorSet
  /** May wait for chain reads; consensus inputs queue meanwhile. */
  buildBlock(height: number, round: number): Block | Promise<Block>
  blockHash(block: Block): Hex32
  /** Deterministic; may wait for content-addressed data (manifests) the block names. */
  validateBlock(height: number, block: Block): Promise<boolean>
  /** Commits the decision durably (pruning the WAL below it) before the next height starts. */
  decide(height: number, block: Block, certificate: CoreCertificate): Promise<void>
  /** `resentAt` marks a copy sent again (see `DriverInit.resendMs`): new bytes for the same message. */
  broadcastProposal(signed: SignedProposal, block: Block, resentAt?: number): Promise<void>
  broadcastVote(signed: SignedVote, resentAt?: number): Promise<void>
  onEvidence?(first: SignedVote, second: SignedVote): void
  /** Asked once per decided height: true to start the next without the block interval (see pace.ts). */
  startNextHeightNow?(): boolean
  /** Asked when `wake` is called during the block interval: true to end it now (see pace.ts). */
  wakeNow?(): boolean
}

export interface DriverInit {
  readonly consensus: Consensus
  readonly wal: DriverWal
  readonly app: DriverApp
  /** Pause between a decision and the next height, so requests can gather into blocks. */
  readonly blockIntervalMs: number
  /**
   * How long a round may go without progress before this node sends its own proposal and votes of
   * it again; default RESEND_MS. Gossip delivers a message once or never: a peer that missed one
   * (it was restarting, or still in the epoch before) is never sent it again, and a set of three
   * needs every member's votes. This is the retransmission Tendermint's liveness assumes.
   */
  readonly resendMs?: number
  readonly logger: Logger
}

const MAX_FUTURE_MESSAGES = 10_000
export const RESEND_MS = 5_000

/**
 * Hosts the pure consensus core: feeds it one input at a time, and carries
 * out its effects in order: a `persist` is durable (WAL sync) before any
 * later effect of the same step runs, timeouts become timers, `get-value`
 * and `validate-value` are answered by the app, a `decide` is committed by
 * the app before the next height starts.
 */
export class ConsensusDriver {
  readonly #init: DriverInit
  #state: ConsensusState
  #queue: Promise<void> = Promise.resolve()
  #height = 0
  readonly #timers = new Set<NodeJS.Timeout>()
  /** Blocks proposed at the current height, by hash. */
  readonly #candidates = new Map<Hex32, Block>()
  /** Messages for heights not reached yet. */
  #future: Array<{ height: number; input: Input; block?: Block }> = []
  /** The block interval under way after a decided height, if any. */
  #pause: { height: number; timer: NodeJS.Timeout } | undefined
  #stopped = true
  /** What this node sent at the current height: its proposals by round, its votes by round and type. */
  #own = { proposals: new Map<number, SignedProposal>(), votes: new Map<string, SignedVote>() }
  #resendTimer: NodeJS.Timeout | undefined
  /** Height and round at the last resend check: unchanged at the next one means the round is stuck. */
  #lastProgress = ''

  constructor(init: DriverInit) {
    this.#init = init
    this.#state = init.consensus.initialState
  }

  get height(): number {
    return this.#height
  }

  get round(): number {
    return this.#state.status === 'running' ? this.#state.round : 0
  }

  /** Starts (or, after a restart, resumes from the WAL) consensus at `height`. */
  start(height: number): void {
    this.#stopped = false
    this.#startHeight(height)
    this.#resendTimer = setInterval(() => this.#resendIfStuck(), this.#init.resendMs ?? RESEND_MS)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#resendTimer)
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    await this.#queue
  }

  /**
   * Work arrived (a request, a certificate's quorum): if the block interval after a decided height
   * is under way and the app agrees, the next height starts now instead of when it ends.
   */
  wake(): void {
    const pause = this.#pause
    if (!pause || this.#stopped || this.#height !== pause.height || !this.#init.app.wakeNow?.()) return
    this.#startHeight(pause.height + 1)
  }

  /**
   * Jumps to a later height after catching up on decided blocks from peers. Before `start` it does
   * nothing: `start` is given the height after the ledger's, and messages meanwhile wait for it.
   */
  jumpTo(height: number): void {
    if (!this.#stopped && height > this.#height) this.#startHeight(height)
  }

  onProposal(signed: SignedProposal, block: Block): void {
    const { height } = signed.proposal
    if (height < this.#height) return
    if (height > this.#height) {
      this.#buffer({ height, input: { kind: 'proposal', signed }, block })
      return
    }
    this.#candidates.set(signed.proposal.valueId, block)
    this.#enqueue({ kind: 'proposal', signed })
  }

  onVote(signed: SignedVote): void {
    const { height } = signed.vote
    if (height < this.#height) return
    if (height > this.#height) {
      this.#buffer({ height, input: { kind: 'vote', signed } })
      return
    }
    this.#enqueue({ kind: 'vote', signed })
  }

  #buffer(entry: { height: number; input: Input; block?: Block }): void {
    if (this.#future.length >= MAX_FUTURE_MESSAGES) this.#future.shift()
    this.#future.push(entry)
  }

  #startHeight(height: number): void {
    if (this.#pause) {
      clearTimeout(this.#pause.timer)
      this.#timers.delete(this.#pause.timer)
      this.#pause = undefined
    }
    this.#height = height
    this.#candidates.clear()
    this.#own = { proposals: new Map(), votes: new Map() }
    const recovered = this.#init.wal.entries(height)
    this.#enqueue({ kind: 'start-height', height, validators: this.#init.app.validators(height), recovered })
    // Votes sent before a crash may never have arrived: peers could be waiting on them.
    for (const entry of recovered) {
      if (entry.kind === 'vote')
        this.#queue = this.#queue.then(() => this.#init.app.broadcastVote(entry.signed)).catch(() => {})
    }
    const ready = this.#future.filter((m) => m.height === height)
    this.#future = this.#future.filter((m) => m.height > height)
    for (const m of ready) {
      if (m.input.kind === 'proposal' && m.block)
        this.#candidates.set(m.input.signed.proposal.valueId, m.block)
      this.#enqueue(m.input)
    }
  }

  /** Sends this round's own proposal and votes again if neither the height nor the round moved since the last check. */
  #resendIfStuck(): void {
    if (this.#stopped || this.#pause || this.#state.status !== 'running') return
    const round = this.round
    const progress = `${this.#height}:${round}`
    if (progress !== this.#lastProgress) {
      this.#lastProgress = progress
      return
    }
    const proposal = this.#own.proposals.get(round)
    const block = proposal && this.#candidates.get(proposal.proposal.valueId)
    const votes = (['prevote', 'precommit'] as const).flatMap((type) => {
      const vote = this.#own.votes.get(`${round}:${type}`)
      return vote ? [vote] : []
    })
    if (!block && votes.length === 0) return
    const { app, logger } = this.#init
    const height = this.#height
    logger.info(
      { height, round, proposal: block !== undefined, votes: votes.length },
      're-sending a stuck round',
    )
    const resentAt = Date.now()
    this.#queue = this.#queue
      .then(async () => {
        if (proposal && block) await app.broadcastProposal(proposal, block, resentAt)
        for (const vote of votes) await app.broadcastVote(vote, resentAt)
      })
      .catch((e: unknown) => logger.warn({ err: e, height, round }, 're-sending a stuck round failed'))
  }

  #enqueue(input: Input): void {
    this.#queue = this.#queue
      .then(() => (this.#stopped ? undefined : this.#step(input)))
      .catch((e: unknown) =>
        this.#init.logger.error({ err: e, height: this.#height, input: input.kind }, 'consensus step failed'),
      )
  }

  async #step(input: Input): Promise<void> {
    // Inputs of an abandoned height (after a catch-up jump) no longer apply.
    if (input.kind !== 'start-height' && 'height' in input && input.height !== this.#height) return
    if (input.kind === 'timeout' && input.timeout.height !== this.#height) return
    const [state, effects] = this.#init.consensus.step(this.#state, input)
    this.#state = state
    let unsynced = false
    for (const effect of effects) {
      if (effect.kind === 'persist') {
        this.#init.wal.append(effect.entry)
        unsynced = true
        continue
      }
      if (unsynced) {
        await this.#init.wal.sync()
        unsynced = false
      }
      await this.#apply(effect)
    }
    if (unsynced) await this.#init.wal.sync()
  }

  async #apply(effect: Exclude<Effect, { kind: 'persist' }>): Promise<void> {
    const { app, logger } = this.#init
    switch (effect.kind) {
      case 'broadcast': {
        const { message } = effect
        if (message.kind === 'vote') {
          const { vote } = message.signed
          if (vote.height === this.#height) this.#own.votes.set(`${vote.round}:${vote.type}`, message.signed)
          await app.broadcastVote(message.signed)
          return
        }
        const { proposal } = message.signed
        if (proposal.height === this.#height) this.#own.proposals.set(proposal.round, message.signed)
        const block = this.#candidates.get(message.signed.proposal.valueId)
        if (block) await app.broadcastProposal(message.signed, block)
        else logger.warn({ height: this.#height }, 'no block for own proposal')
        return
      }
      case 'schedule-timeout': {
        const timer = setTimeout(() => {
          this.#timers.delete(timer)
          this.#enqueue({ kind: 'timeout', timeout: effect.timeout })
        }, effect.duration)
        this.#timers.add(timer)
        return
      }
      case 'get-value': {
        const { height, round } = effect
        // Building may wait on the chain: answer later, without blocking other inputs (timeouts included).
        void Promise.resolve()
          .then(() => app.buildBlock(height, round))
          .then(
            (block) => {
              if (this.#height !== height) return
              const valueId = app.blockHash(block)
              this.#candidates.set(valueId, block)
              this.#enqueue({ kind: 'propose-value', height, round, valueId })
            },
            (e: unknown) => logger.error({ err: e, height, round }, 'building a block failed'),
          )
        return
      }
      case 'validate-value': {
        const block = this.#candidates.get(effect.valueId)
        const height = effect.height
        if (!block) {
          this.#enqueue({ kind: 'validity', height, valueId: effect.valueId, valid: false })
          return
        }
        // Validation may wait on the network (manifests): answer later, without blocking other inputs.
        void app
          .validateBlock(height, block)
          .catch((e: unknown) => {
            logger.warn({ err: e, height }, 'block validation failed')
            return false
          })
          .then((valid) => this.#enqueue({ kind: 'validity', height, valueId: effect.valueId, valid }))
        return
      }
      case 'decide': {
        const block = this.#candidates.get(effect.valueId)
        if (!block) {
          logger.error(
            { height: effect.height, valueId: effect.valueId },
            'decided a block this node never saw',
          )
          return
        }
        await app.decide(effect.height, block, effect.certificate)
        const pause = app.startNextHeightNow?.() ? 0 : this.#init.blockIntervalMs
        const timer = setTimeout(() => {
          this.#timers.delete(timer)
          if (this.#pause?.timer === timer) this.#pause = undefined
          if (!this.#stopped && this.#height === effect.height) this.#startHeight(effect.height + 1)
        }, pause)
        this.#timers.add(timer)
        if (pause > 0) this.#pause = { height: effect.height, timer }
        return
      }
      case 'evidence':
        app.onEvidence?.(effect.evidence.a, effect.evidence.b)
        return
    }
  }
}
