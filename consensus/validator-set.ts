import type { Address } from '../protocol/index.ts'
import { ConsensusError } from './errors.ts'

export interface Validator {
  readonly address: Address
  /** Voting power: a positive safe integer (stake in whole units). */
  readonly power: number
}

const ADDRESS = /^0x[0-9a-f]{40}$/

/**
 * An immutable validator set with stake-weighted quorums and Tendermint's
 * proposer-priority rotation.
 *
 * The rotation is Tendermint's algorithm (every validator gains its power in
 * priority, the highest priority proposes and pays the total power back; ties
 * go to the lowest address). With integer powers it is periodic with period
 * `totalPower` and picks each validator exactly `power` times per period, so
 * `proposer(h, r)` is the `(h + r) mod totalPower`-th pick: every node derives
 * the same proposer from the set alone, without carrying priorities between
 * heights, and a failed round hands over to the next in line.
 */
export class ValidatorSet {
  readonly validators: readonly Validator[]
  readonly totalPower: number
  readonly #power: ReadonlyMap<Address, number>
  readonly #rotation: Address[] = []
  readonly #priorities: number[]

  constructor(validators: readonly Validator[]) {
    if (validators.length === 0) throw new ConsensusError('invalid-validator-set', 'empty validator set')
    const power = new Map<Address, number>()
    for (const v of validators) {
      if (!ADDRESS.test(v.address)) {
        throw new ConsensusError('invalid-validator-set', `not a lowercase 20-byte address: ${v.address}`)
      }
      if (!Number.isSafeInteger(v.power) || v.power <= 0) {
        throw new ConsensusError('invalid-validator-set', `power of ${v.address} must be a positive integer`)
      }
      if (power.has(v.address)) throw new ConsensusError('invalid-validator-set', `duplicate ${v.address}`)
      power.set(v.address, v.power)
    }
    this.validators = [...validators].sort((a, b) => (a.address < b.address ? -1 : 1))
    this.totalPower = this.validators.reduce((sum, v) => sum + v.power, 0)
    if (!Number.isSafeInteger(this.totalPower)) {
      throw new ConsensusError('invalid-validator-set', 'total power overflows')
    }
    this.#power = power
    this.#priorities = this.validators.map(() => 0)
  }

  get size(): number {
    return this.validators.length
  }

  /** 0 for a non-member, so votes of strangers weigh nothing. */
  powerOf(address: Address): number {
    return this.#power.get(address) ?? 0
  }

  has(address: Address): boolean {
    return this.#power.has(address)
  }

  /** More than two thirds of the total power: 2f+1 in the paper. */
  isQuorum(power: number): boolean {
    return 3 * power > 2 * this.totalPower
  }

  /** More than one third of the total power: f+1, so at least one honest. */
  isOneThird(power: number): boolean {
    return 3 * power > this.totalPower
  }

  /** The largest power that may be Byzantine while n > 3f holds. */
  get maxFaultyPower(): number {
    return Math.floor((this.totalPower - 1) / 3)
  }

  proposer(height: number, round: number): Address {
    const index = (height + round) % this.totalPower
    while (this.#rotation.length <= index) this.#rotation.push(this.#nextProposer())
    return this.#rotation[index]!
  }

  #nextProposer(): Address {
    let best = 0
    for (let i = 0; i < this.validators.length; i++) {
      this.#priorities[i]! += this.validators[i]!.power
      if (this.#priorities[i]! > this.#priorities[best]!) best = i
    }
    this.#priorities[best]! -= this.totalPower
    return this.validators[best]!.address
  }
}
