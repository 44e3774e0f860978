import type { Logger } from 'pino'
import { type ConsensusSigner, type SignatureVerifier, ValidatorSet } from '../../consensus/index.ts'
import {
  type Address,
  type Block,
  createEip712ConsensusSigner,
  createEip712Verifier,
  type Eip712Domain,
  type Hex32,
} from '../../protocol/index.ts'
import type { NodeChain } from '../ports.ts'
import { ConsensusAppError } from './errors.ts'

/** An epoch as consensus uses it: its number, the validator set the chain staked, their signature check. */
export interface Epoch {
  readonly number: number
  readonly validators: ValidatorSet
  readonly verifier: SignatureVerifier
}

export interface EpochsInit {
  readonly chain: Pick<NodeChain, 'currentEpoch' | 'epochAt' | 'validatorSet'>
  readonly domain: Eip712Domain
  readonly validatorKey: Hex32
  readonly logger: Logger
  /** Told when a new epoch takes over, after the node switched to its set. */
  readonly onEpochStarted?: (epoch: number) => void
}

/** Where the replicated state stands: the last applied block's height, epoch and chain number. */
export interface LedgerPosition {
  readonly height: number
  readonly epoch: number
  readonly chainBlock: number
}

/**
 * The epoch the next height is decided in, as the ValidatorRegistry says at the chain number of
 * the last decided block: every validator reads it alike. Open loads the current one, so there is
 * always an epoch; `follow` hands the next height to a new set when a block's chain number passed
 * an EpochStarted.
 */
export class Epochs {
  readonly #init: EpochsInit
  #current: Epoch
  /** Consensus signatures are made under an epoch: one signer per epoch this node has signed in. */
  readonly #signers = new Map<number, ConsensusSigner>()
  /** Later epochs read for a peer's certificates (catch-up), kept until the node passes them. */
  readonly #later = new Map<number, Promise<Epoch>>()
  readonly #listeners = new Set<(epoch: number) => void>()
  #stopped = false

  private constructor(init: EpochsInit, current: Epoch) {
    this.#init = init
    this.#current = current
  }

  /** Before the first block there is no chain number to read at: every validator starts from the current epoch. */
  static async open(init: EpochsInit, at: LedgerPosition): Promise<Epochs> {
    const number =
      at.height === 0
        ? await init.chain.currentEpoch()
        : await epochAfter(init, at.epoch, at.chainBlock, () => false)
    return new Epochs(init, await loadEpoch(init, number))
  }

  get current(): Epoch {
    return this.#current
  }

  /**
   * Epoch `number` as the registry has it: the current one, or a later one that a peer's decided
   * records name (a node catching up across an epoch change verifies each record by its own set).
   */
  async load(number: number): Promise<Epoch> {
    if (number === this.#current.number) return this.#current
    if (number < this.#current.number)
      throw new ConsensusAppError(
        'PAST_EPOCH',
        `epoch ${number} is over: this node is in ${this.#current.number}`,
      )
    let loading = this.#later.get(number)
    if (loading === undefined) {
      if (this.#later.size >= MAX_LATER_EPOCHS) this.#later.delete(this.#later.keys().next().value as number)
      loading = loadEpoch(this.#init, number)
      // A failed read is not remembered: the next catch-up asks the chain again.
      loading.catch(() => this.#later.delete(number))
      this.#later.set(number, loading)
    }
    return loading
  }

  /** Calls `listener` each time a new epoch takes over, after the node switched to its set; returns an unsubscribe. */
  onStarted(listener: (epoch: number) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Signs as `address` under whichever epoch is current when consensus signs. */
  consensusSigner(address: Address): ConsensusSigner {
    return {
      address,
      signVote: (vote) => this.#signer().signVote(vote),
      signProposal: (proposal) => this.#signer().signProposal(proposal),
    }
  }

  /** Called at each commit: the epoch changes only between heights, so a height is signed under one epoch throughout. */
  async follow(block: Block): Promise<void> {
    const number = await epochAfter(this.#init, block.epoch, block.chainBlock, () => this.#stopped)
    if (number === this.#current.number) return
    const previous = this.#current.number
    this.#current = await this.load(number)
    for (const later of this.#later.keys()) if (later <= number) this.#later.delete(later)
    this.#init.logger.info(
      {
        epoch: number,
        previous,
        fromHeight: block.height + 1,
        validators: this.#current.validators.validators.map((v) => v.address),
      },
      'epoch started',
    )
    for (const listener of this.#listeners) listener(number)
    this.#init.onEpochStarted?.(number)
  }

  /** A chain read still retrying gives up from now on. */
  stop(): void {
    this.#stopped = true
  }

  #signer(): ConsensusSigner {
    const epoch = this.#current.number
    let signer = this.#signers.get(epoch)
    if (!signer) {
      signer = createEip712ConsensusSigner({
        privateKey: this.#init.validatorKey,
        domain: this.#init.domain,
        epoch,
      })
      this.#signers.set(epoch, signer)
    }
    return signer
  }
}

/** Later epochs held at once: a node is rarely more than one behind; peers cannot grow it. */
const MAX_LATER_EPOCHS = 4

/**
 * The epoch of the heights after a block: the registry's current epoch at the block's chain number,
 * and never an earlier one. Until it is known no later height can start, so a failing read is
 * retried rather than guessed.
 */
async function epochAfter(
  init: EpochsInit,
  epoch: number,
  chainBlock: number,
  stopped: () => boolean,
): Promise<number> {
  if (chainBlock === 0) return epoch
  for (let attempt = 1; ; attempt++) {
    try {
      return Math.max(epoch, await init.chain.epochAt(chainBlock))
    } catch (e) {
      if (stopped()) throw e
      init.logger.warn({ err: e, chainBlock, attempt }, 'cannot read the epoch at the chain block; retrying')
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * attempt)))
    }
  }
}

/** Voting power from stake: stakes divided by their greatest common divisor, exact ratios in small integers. */
async function loadEpoch(init: EpochsInit, number: number): Promise<Epoch> {
  const members = await init.chain.validatorSet(number)
  if (members.length === 0)
    throw new ConsensusAppError('NO_VALIDATORS', `epoch ${number} has no validators on chain`)
  const gcd = members.reduce((g, m) => gcdOf(g, m.stake), 0n)
  const validators = new ValidatorSet(
    members.map((m) => ({
      address: m.address.toLowerCase() as Address,
      power: Number(m.stake / (gcd || 1n)),
    })),
  )
  return { number, validators, verifier: createEip712Verifier({ domain: init.domain, epoch: number }) }
}

function gcdOf(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}
