import { shareCommitment } from './commitment.ts'
import { type Committee, checkMemberIndex } from './committee.ts'
import { ThresholdError } from './errors.ts'
import { dealKeyShares, type MemberKey } from './key-share.ts'
import type { MemberSecret } from './member.ts'
import { checkPoly, type RnsBasis, type RnsPoly, scale, sub, sum } from './rns.ts'
import { lagrangeAt } from './shamir.ts'

/**
 * The DKG dealing as a pure state machine, without networking: the node
 * layer signs, encrypts, persists and gossips what it returns, and feeds in
 * what arrives.
 *
 * 1. deal: each member Shamir-shares its s_i and broadcasts one commitment
 *    per recipient (a hash bound to instance, dealer and recipient); the
 *    share for member j travels to j alone.
 * 2. receive: j checks its share against the dealer's commitment. A
 *    mismatch is complaint evidence anyone can check: the dealer's signed
 *    broadcast and the dealer's signed private message (signatures are the
 *    node layer's), whose hashes disagree.
 * 3. degree: shares that match their commitments can still fail to lie on
 *    one polynomial of degree t−1 (then different subsets open different
 *    keys). Without homomorphic commitments (a discrete-log commitment over
 *    40-bit primes would not hide), that is checkable only by pooling at
 *    least t+1 shares of one dealer, which members do for a disputed dealer
 *    once it is being excluded anyway: a DEGREE complaint.
 * 4. finish: the qualified dealers are those with no valid complaint; a
 *    member's key share sums theirs, and the collective secret is
 *    Σ_{qualified} s_i, so CKG, RKG and RTG then run among the qualified.
 */
export interface DealingCommitments {
  readonly instanceId: string
  readonly dealer: number
  /** one per recipient, in member order */
  readonly perRecipient: readonly Uint8Array[]
}

export interface Dealing {
  readonly commitments: DealingCommitments
  /** shares[j − 1] goes to member j only */
  readonly shares: readonly RnsPoly[]
}

export type Complaint =
  | {
      /**
       * Only as good as the proof that the dealer sent `share`: the node
       * layer verifies the dealer's signature on the private message before
       * it calls verifyComplaint, or a recipient could frame an honest dealer.
       */
      readonly kind: 'MISMATCH'
      readonly dealer: number
      readonly recipient: number
      readonly commitments: DealingCommitments
      readonly share: RnsPoly
    }
  | {
      readonly kind: 'DEGREE'
      readonly dealer: number
      readonly commitments: DealingCommitments
      /** at least t+1 revealed shares of the dealer, by recipient */
      readonly shares: ReadonlyMap<number, RnsPoly>
    }

function dealtCommitment(instanceId: string, dealer: number, recipient: number, share: RnsPoly): Uint8Array {
  return shareCommitment(`dkg-deal/${dealer}`, instanceId, recipient, [share])
}

/** Deterministic in (member seed, instance): after a restart the same dealing, byte for byte. */
export function deal(basis: RnsBasis, member: MemberSecret, instanceId: string): Dealing {
  const shares = dealKeyShares(basis, member, instanceId)
  return {
    commitments: {
      instanceId,
      dealer: member.index,
      perRecipient: shares.map((sh, k) => dealtCommitment(instanceId, member.index, k + 1, sh)),
    },
    shares,
  }
}

function opens(c: DealingCommitments, recipient: number, share: RnsPoly): boolean {
  const expected = c.perRecipient[recipient - 1]
  return (
    expected !== undefined &&
    Buffer.from(dealtCommitment(c.instanceId, c.dealer, recipient, share)).equals(expected)
  )
}

/** Whether shares (recipient → share, at least t+1) lie on one polynomial of degree t−1. */
export function onOnePolynomial(
  basis: RnsBasis,
  committee: Committee,
  shares: ReadonlyMap<number, RnsPoly>,
): boolean {
  const points = [...shares.keys()].sort((a, b) => a - b)
  if (points.length < committee.t + 1) {
    throw new ThresholdError(
      'PARTICIPANTS_INVALID',
      'shares',
      `${points.length} shares cannot test degree ${committee.t - 1}`,
    )
  }
  const base = points.slice(0, committee.t)
  return points.slice(committee.t).every((x) => {
    // evaluate the interpolating polynomial of `base` at x: Lagrange weights at x instead of at 0
    const shifted = base.map((i) => lagrangeAt(basis, base, i, x))
    const predicted = sum(
      basis,
      base.map((i, k) => scale(basis, shares.get(i)!, shifted[k]!)),
    )
    const diff = sub(basis, predicted, shares.get(x)!)
    return diff.limbs.every((limb) => limb.every((v) => v === 0n))
  })
}

/** Anyone can check a complaint: it holds only if the dealer's own commitments convict it. */
export function verifyComplaint(basis: RnsBasis, committee: Committee, complaint: Complaint): boolean {
  const { commitments } = complaint
  if (commitments.dealer !== complaint.dealer || commitments.perRecipient.length !== committee.n) return false
  if (complaint.kind === 'MISMATCH') {
    checkMemberIndex(committee, complaint.recipient, 'complaint.recipient')
    return !opens(commitments, complaint.recipient, complaint.share)
  }
  // a DEGREE complaint must use the dealer's genuine shares, or anyone could frame it
  for (const [recipient, share] of complaint.shares) {
    checkMemberIndex(committee, recipient, 'complaint.shares')
    checkPoly(basis, share, basis.primes.length, `complaint share of ${recipient}`)
    if (!opens(commitments, recipient, share)) return false
  }
  return !onOnePolynomial(basis, committee, complaint.shares)
}

/**
 * One member's view of one DKG instance. Feed it every dealer's broadcast
 * commitments, the share each dealer sent to this member, and every
 * complaint seen; it answers with complaints to broadcast and, at the end,
 * the qualified dealers and this member's key share.
 */
export class DkgSession {
  readonly #basis: RnsBasis
  readonly #member: MemberSecret
  readonly #instanceId: string
  readonly #commitments = new Map<number, DealingCommitments>()
  readonly #shares = new Map<number, RnsPoly>()
  readonly #disqualified = new Set<number>()

  constructor(basis: RnsBasis, member: MemberSecret, instanceId: string) {
    this.#basis = basis
    this.#member = member
    this.#instanceId = instanceId
  }

  /** This member's own dealing; it keeps its own share. Recomputed after a restart, byte-identical. */
  deal(): Dealing {
    const dealing = deal(this.#basis, this.#member, this.#instanceId)
    this.#commitments.set(this.#member.index, dealing.commitments)
    this.#shares.set(this.#member.index, dealing.shares[this.#member.index - 1]!)
    return dealing
  }

  onCommitments(c: DealingCommitments): void {
    const { committee } = this.#member
    checkMemberIndex(committee, c.dealer, 'commitments.dealer')
    if (c.instanceId !== this.#instanceId || c.perRecipient.length !== committee.n) {
      throw new ThresholdError(
        'SHARE_INVALID',
        `commitments of dealer ${c.dealer}`,
        'not for this instance and committee',
      )
    }
    const known = this.#commitments.get(c.dealer)
    if (known && !known.perRecipient.every((h, k) => Buffer.from(h).equals(c.perRecipient[k]!))) {
      // two different broadcasts for one instance: equivocation, which the node layer's signatures prove
      this.#disqualified.add(c.dealer)
      return
    }
    this.#commitments.set(c.dealer, c)
  }

  /** The share `dealer` sent this member; returns the complaint to broadcast if it does not open. */
  onShare(dealer: number, share: RnsPoly): Complaint | undefined {
    const c = this.#commitments.get(dealer)
    if (!c)
      throw new ThresholdError('SHARE_INVALID', `share of dealer ${dealer}`, 'arrived before its commitments')
    checkPoly(this.#basis, share, this.#basis.primes.length, `share of dealer ${dealer}`)
    const recipient = this.#member.index
    if (opens(c, recipient, share)) {
      this.#shares.set(dealer, share)
      return undefined
    }
    this.#disqualified.add(dealer)
    return { kind: 'MISMATCH', dealer, recipient, commitments: c, share }
  }

  /** A complaint from anyone: a valid one disqualifies its dealer; an invalid one is ignored (and returned false). */
  onComplaint(complaint: Complaint): boolean {
    const valid = verifyComplaint(this.#basis, this.#member.committee, complaint)
    if (valid) this.#disqualified.add(complaint.dealer)
    return valid
  }

  /**
   * Disqualifies a dealer for a fault no complaint can prove: it never dealt this member a share
   * before the node layer's deadline. Its secret then is not part of the key.
   */
  exclude(dealer: number): void {
    checkMemberIndex(this.#member.committee, dealer, 'dealer')
    this.#disqualified.add(dealer)
  }

  /** The qualified dealers and this member's share of Σ_{qualified} s_i. */
  finish(): { qualified: number[]; key: MemberKey } {
    const { committee } = this.#member
    const qualified: number[] = []
    const missing: number[] = []
    for (let d = 1; d <= committee.n; d++) {
      if (this.#disqualified.has(d)) continue
      if (this.#shares.has(d)) qualified.push(d)
      else missing.push(d)
    }
    if (missing.length > 0) {
      throw new ThresholdError(
        'PARTICIPANTS_INVALID',
        'dealers',
        `no verified share yet from ${missing.join(', ')}`,
      )
    }
    if (qualified.length < committee.t) {
      throw new ThresholdError(
        'PARTICIPANTS_INVALID',
        'dealers',
        `only ${qualified.length} qualified, fewer than t = ${committee.t}`,
      )
    }
    const share = sum(
      this.#basis,
      qualified.map((d) => this.#shares.get(d)!),
    )
    return { qualified, key: { member: this.#member, share } }
  }
}
