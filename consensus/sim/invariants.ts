import type { Address, SignatureVerifier, SignedVote, ValueId } from '../../protocol/index.ts'
import { type CommitCertificate, verifyCommitCertificate } from '../certificate.ts'
import type { ValidatorSet } from '../validator-set.ts'

export type ViolationKind =
  | 'agreement'
  | 'validity'
  | 'invalid-certificate'
  | 'conflicting-certificates'
  | 'honest-double-sign'
  | 'liveness'

export interface Violation {
  readonly kind: ViolationKind
  readonly at: number
  readonly detail: string
}

export interface ValueRecord {
  readonly valid: boolean
}

/**
 * Safety invariants, checked incrementally as the simulation runs, so a
 * violation is reported at the event that caused it.
 */
export class InvariantChecker {
  readonly #validators: ValidatorSet
  readonly #verifier: SignatureVerifier
  readonly #honestKeys: ReadonlySet<Address>
  readonly #values: ReadonlyMap<ValueId, ValueRecord>
  readonly #decided = new Map<number, ValueId>()
  readonly #honestVotes = new Map<string, SignedVote>()
  /** Distinct precommit signers by `${height}:${round}:${value}`, to spot any quorum on the wire. */
  readonly #precommitSigners = new Map<string, Set<Address>>()
  readonly #certified = new Map<number, ValueId>()
  readonly violations: Violation[] = []

  constructor(
    validators: ValidatorSet,
    verifier: SignatureVerifier,
    honestKeys: ReadonlySet<Address>,
    values: ReadonlyMap<ValueId, ValueRecord>,
  ) {
    this.#validators = validators
    this.#verifier = verifier
    this.#honestKeys = honestKeys
    this.#values = values
  }

  get ok(): boolean {
    return this.violations.length === 0
  }

  /** Every vote that leaves any node, honest or not. */
  onVoteSent(signed: SignedVote, at: number): void {
    const v = signed.vote
    if (this.#honestKeys.has(v.validator)) {
      const slot = `${v.validator}:${v.height}:${v.round}:${v.type}`
      const earlier = this.#honestVotes.get(slot)
      if (earlier && earlier.vote.valueId !== v.valueId) {
        this.#fail('honest-double-sign', at, `${slot}: ${earlier.vote.valueId} then ${v.valueId}`)
      }
      if (!earlier) this.#honestVotes.set(slot, signed)
    }
    if (v.type !== 'precommit' || v.valueId === null) return
    const key = `${v.height}:${v.round}:${v.valueId}`
    const signers = this.#precommitSigners.get(key) ?? new Set<Address>()
    signers.add(v.validator)
    this.#precommitSigners.set(key, signers)
    const power = [...signers].reduce((sum, a) => sum + this.#validators.powerOf(a), 0)
    if (!this.#validators.isQuorum(power)) return
    const certified = this.#certified.get(v.height)
    if (certified === undefined) this.#certified.set(v.height, v.valueId)
    else if (certified !== v.valueId) {
      this.#fail('conflicting-certificates', at, `height ${v.height}: ${certified} and ${v.valueId}`)
    }
  }

  onDecide(node: string, certificate: CommitCertificate, at: number): void {
    const { height, valueId } = certificate
    if (!verifyCommitCertificate(certificate, this.#validators, this.#verifier)) {
      this.#fail(
        'invalid-certificate',
        at,
        `${node} decided height ${height} on a certificate without a quorum`,
      )
    }
    const value = this.#values.get(valueId)
    if (!value?.valid) {
      this.#fail(
        'validity',
        at,
        `${node} decided ${valueId} at height ${height}, ${value ? 'invalid' : 'never proposed'}`,
      )
    }
    const earlier = this.#decided.get(height)
    if (earlier === undefined) this.#decided.set(height, valueId)
    else if (earlier !== valueId) {
      this.#fail('agreement', at, `${node} decided ${valueId} at height ${height}, another node ${earlier}`)
    }
  }

  onLivenessFailure(at: number, detail: string): void {
    this.#fail('liveness', at, detail)
  }

  #fail(kind: ViolationKind, at: number, detail: string): void {
    this.violations.push({ kind, at, detail })
  }
}
