import type { Logger } from 'pino'
import {
  type Address,
  type CollectiveKey,
  type CollectiveKeySignature,
  collectiveKeyHash,
  type DkgCommitments,
  type DkgComplaint,
  type DkgDealing,
  DkgEvidenceError,
  type DkgGossipBody,
  type DkgInstance,
  type DkgRoundShare,
  dkgBodyId,
  dkgCommitmentsCodec,
  type Eip712Domain,
  fromHex,
  type Hex,
  type Hex32,
  type OpenedComplaint,
  openComplaint,
  sealDealing,
  signCommitteeKey,
  toHex,
} from '../../protocol/index.ts'
import {
  bftCommittee,
  type Committee,
  ckgCombine,
  ckgShare,
  type Dealing,
  DkgSession,
  decodePoly,
  encodePoly,
  galoisKeysBytes,
  type MemberSecret,
  type RnsBasis,
  type RnsPoly,
  rkgAggregate,
  rkgCombine,
  rkgRound1,
  rkgRound2,
  rtgCombine,
  rtgShare,
  shareCommitment,
  verifyComplaint,
} from '../../sandbox/index.ts'
import type { DkgJournalStore, Journal } from './dkg-journal.ts'
import {
  commitmentsPublicKey,
  complaintAgainst,
  complaintBlobs,
  corruptedShare,
  fetchIfServed,
  openDealtShare,
  persistThenPublish,
  type SignedDkgKind,
  signDkgBody,
} from './dkg-wire.ts'
import { ThresholdNodeError } from './errors.ts'
import type { Keyring } from './keyring.ts'
import { dealingRandomness, instanceMember } from './member-seed.ts'
import { decodeShareBlob, encodeShareBlob } from './share-blob.ts'

/** Blobs as the DKG needs them: the node's store, and its peers behind it. */
export interface DkgBlobs {
  get(id: Hex32): Promise<Uint8Array | undefined>
  /** stores bytes under their sha256 id */
  put(bytes: Uint8Array): Promise<Hex32>
  /** from the store, else from peers (hash-checked), and then kept in the store */
  fetch(id: Hex32): Promise<Uint8Array>
}

export interface DkgTiming {
  /** from the instance's start: dealers with no verified share by then are excluded */
  readonly dealMs: number
  /** once every dealing is in, how long complaints may still arrive before the qualified set is fixed */
  readonly complaintWindowMs: number
  /** from the qualified set: the key must be formed by then, or the instance fails */
  readonly keygenMs: number
}

export interface DkgRunInit {
  readonly basis: RnsBasis
  readonly profile: string
  /** the Galois elements owner-mode vaults carry keys for: a committee vault runs the same jobs */
  readonly galoisElements: readonly number[]
  /** DKG messages are signed under the network's domain (the ValidatorRegistry) */
  readonly domain: Eip712Domain
  /** CommitteeKey signatures under the Anchor's, as registerCommitteeKey checks them */
  readonly anchorDomain: Eip712Domain
  readonly validatorKey: Hex32
  /** the member's root seed (member-seed.ts) */
  readonly seed: Uint8Array
  readonly instance: DkgInstance
  /** the epoch's set in set order: member i is members[i − 1] */
  readonly members: readonly Address[]
  readonly self: Address
  readonly journal: DkgJournalStore
  readonly blobs: DkgBlobs
  readonly keyring: Keyring
  /** publishes a signed body (the service wraps it for the topic); persisted before it is called */
  readonly publish: (body: DkgGossipBody) => Promise<void>
  readonly timing: DkgTiming
  readonly now: () => number
  /**
   * Test-only misbehaviour: deal this member a share that does not open its commitment. Only the
   * Byzantine e2e sets it (node/daemon.ts DaemonOptions.dkgMisbehaviour).
   */
  readonly corruptShareTo?: number | undefined
  readonly log: Logger
}

export type DkgRunStatus = 'dealing' | 'keygen' | 'signing' | 'failed'

type Step = DkgRoundShare['step']
const stepKey = (step: Step, galoisElement: number | null): string =>
  step === 'rtg' ? `rtg/${galoisElement}` : step
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * One member's run of one DKG instance over gossip: deal, verify, complain, fix the qualified set,
 * then CKG, RKG (two rounds) and RTG (one per Galois element), commit then reveal, among the
 * qualified; finally the collective key in the keyring, this member's share with it, and its
 * signature of the key's hash.
 *
 * Level-triggered: `advance` looks at what has arrived and does whatever is due, so messages may
 * arrive in any order, any number of times, and a restart picks up from the journal. Everything
 * it signs goes through `#send`, which writes the journal before publishing; the service re-sends
 * `sent` as stored. The member's secret and every random choice derive from its seed and the
 * instance, so nothing is ever drawn twice for one instance.
 */
export class DkgRun {
  readonly instance: DkgInstance
  readonly committee: Committee
  readonly index: number
  readonly #init: DkgRunInit
  readonly #member: MemberSecret
  readonly #session: DkgSession
  readonly #dealing: Dealing
  #journal: Journal
  readonly #received = new Map<Hex32, DkgGossipBody>()
  readonly #slots = new Set<string>()
  readonly #commitments = new Map<number, DkgCommitments>()
  readonly #dealingsToMe = new Map<number, DkgDealing>()
  /** dealers whose share to this member opened their commitment */
  readonly #shareOk = new Set<number>()
  /** dealers whose share to this member did not (this member complained) */
  readonly #shareBad = new Set<number>()
  readonly #complaints = new Map<Hex32, DkgComplaint>()
  readonly #judged = new Set<Hex32>()
  readonly #convicted = new Set<number>()
  /** members whose complaint did not hold: their claim is dropped, the dealer stays */
  readonly #falseAccusers = new Set<number>()
  readonly #commits = new Map<string, Map<number, DkgRoundShare>>()
  readonly #reveals = new Map<string, Map<number, DkgRoundShare>>()
  readonly #startedAt: number
  #allDealtAt: number | undefined
  #qualifiedAt: number | undefined
  #busy: Promise<void> = Promise.resolve()
  #keyRecordDone = false

  private constructor(init: DkgRunInit, journal: Journal) {
    this.#init = init
    this.instance = init.instance
    this.committee = bftCommittee(init.members.length)
    const index = init.members.findIndex((m) => m.toLowerCase() === init.self.toLowerCase()) + 1
    if (index === 0) throw new ThresholdNodeError('DKG_FAILED', `${init.self} is not a member of the set`)
    this.index = index
    this.#member = instanceMember(init.seed, this.committee, index, init.instance.instanceId)
    this.#session = new DkgSession(init.basis, this.#member, init.instance.instanceId)
    // Deterministic in (seed, instance): after a restart, the very dealing the journal committed to.
    this.#dealing = this.#session.deal()
    this.#journal = journal
    this.#startedAt = init.now()
  }

  static async open(init: DkgRunInit): Promise<DkgRun> {
    const journal = await init.journal.load(init.instance.instanceId)
    const run = new DkgRun(init, journal)
    for (const body of journal.sent) run.#index(body)
    for (const dealer of journal.qualified === null ? [] : run.#notQualified(journal.qualified))
      run.#session.exclude(dealer)
    if (journal.qualified !== null) run.#qualifiedAt = init.now()
    return run
  }

  /** Every body this member signed in the instance, as stored: the service re-sends exactly these. */
  get sent(): readonly DkgGossipBody[] {
    return this.#journal.sent
  }

  get keyHash(): Hex32 | undefined {
    return (this.#journal.keyHash ?? undefined) as Hex32 | undefined
  }

  get failed(): string | undefined {
    return this.#journal.failed ?? undefined
  }

  get status(): DkgRunStatus {
    if (this.#journal.failed !== null) return 'failed'
    if (this.#journal.keyHash !== null) return 'signing'
    return this.#journal.qualified === null ? 'dealing' : 'keygen'
  }

  /** Members excluded from the qualified set (or, before it is fixed, convicted so far). */
  get excluded(): number[] {
    const q = this.#journal.qualified
    return q === null ? [...this.#convicted].sort((a, b) => a - b) : this.#notQualified(q)
  }

  /**
   * Whether this body, or another body for its slot, is held: one commitments broadcast per
   * dealer, one dealing per (dealer, recipient), one share per (step, member, phase), one complaint
   * per (complainant, accused). A member re-signing a slot with other content is not taken again,
   * so no member can put more than its ~40 bodies per instance on the topic.
   */
  holds(body: DkgGossipBody): boolean {
    return this.#received.has(dkgBodyId(body)) || this.#slots.has(slotOf(body))
  }

  /** Takes a validated body of this instance; call `advance` after. */
  receive(body: DkgGossipBody): void {
    this.#index(body)
  }

  /** Does whatever is due; one call at a time, errors logged (the next call retries). */
  advance(): Promise<void> {
    this.#busy = this.#busy.then(() =>
      this.#advance().catch((err: unknown) => {
        this.#init.log.warn({ err, instance: this.instance.instanceId }, 'DKG step failed; will retry')
      }),
    )
    return this.#busy
  }

  #index(body: DkgGossipBody): void {
    const id = dkgBodyId(body)
    if (this.#received.has(id)) return
    this.#received.set(id, body)
    this.#slots.add(slotOf(body))
    switch (body.kind) {
      case 'DkgCommitments': {
        const c = body.body
        const known = this.#commitments.get(c.dealer)
        if (known === undefined) this.#commitments.set(c.dealer, c)
        if (c.dealer !== this.index) {
          // a second, different broadcast for the instance is equivocation: the session disqualifies it
          this.#session.onCommitments({
            instanceId: this.instance.instanceId,
            dealer: c.dealer,
            perRecipient: c.perRecipient.map(fromHex),
          })
          if (known !== undefined) this.#convicted.add(c.dealer)
        }
        return
      }
      case 'DkgDealing':
        if (body.body.recipient === this.index && !this.#dealingsToMe.has(body.body.dealer))
          this.#dealingsToMe.set(body.body.dealer, body.body)
        return
      case 'DkgComplaint':
        this.#complaints.set(id, body.body)
        return
      case 'DkgRoundShare': {
        const m = body.body
        const byStep = m.phase === 'commit' ? this.#commits : this.#reveals
        const key = stepKey(m.step, m.galoisElement)
        const members = byStep.get(key) ?? new Map<number, DkgRoundShare>()
        if (!members.has(m.member)) members.set(m.member, m)
        byStep.set(key, members)
        return
      }
      case 'CollectiveKeySignature':
        return
    }
  }

  async #advance(): Promise<void> {
    if (this.#journal.failed !== null) return
    if (this.#journal.keyHash !== null) {
      await this.#ensureKeyRecord()
      return
    }
    await this.#sendCommitments()
    await this.#sendDealings()
    await this.#verifyDealings()
    await this.#judgeComplaints()
    if (this.#journal.qualified === null && !(await this.#decideQualified())) return
    const qualified = this.#journal.qualified
    if (qualified === null) return
    if (qualified.includes(this.index)) await this.#keygenShares(qualified)
    if (await this.#combine(qualified)) return
    if (this.#init.now() - (this.#qualifiedAt ?? this.#init.now()) > this.#init.timing.keygenMs) {
      await this.#fail('the key was not formed before the keygen deadline')
    }
  }

  #fetch(id: Hex32): Promise<Uint8Array | undefined> {
    return fetchIfServed(this.#init, id)
  }

  async #send(bodies: readonly DkgGossipBody[]): Promise<void> {
    this.#journal = await persistThenPublish(this.#init, this.#journal, bodies, (b) => this.#index(b))
  }

  async #save(patch: Partial<Journal>): Promise<void> {
    this.#journal = { ...this.#journal, ...patch }
    await this.#init.journal.save(this.#journal)
  }

  async #fail(reason: string): Promise<void> {
    this.#init.log.warn({ instance: this.instance, reason }, 'DKG instance failed')
    await this.#save({ failed: reason })
  }

  #sign<T extends { signer: Address; signature: Hex }>(
    kind: SignedDkgKind,
    body: Omit<T, 'signer' | 'signature'>,
  ): T {
    return signDkgBody<T>(this.#init, kind, body)
  }

  // ---- dealing ------------------------------------------------------------------------------

  async #sendCommitments(): Promise<void> {
    if (this.#commitments.has(this.index)) return
    const commitments = this.#sign<DkgCommitments>('DkgCommitments', {
      version: 1,
      instance: this.instance,
      dealer: this.index,
      perRecipient: this.#dealing.commitments.perRecipient.map(toHex),
    })
    await this.#send([{ kind: 'DkgCommitments', body: commitments }])
  }

  #publicKeyOf(member: number): Uint8Array | undefined {
    return commitmentsPublicKey(this.#init.domain, this.#commitments.get(member))
  }

  async #sendDealings(): Promise<void> {
    const own = this.#commitments.get(this.index)
    if (own === undefined) return
    const dealt = new Set(
      this.#journal.sent.flatMap((b) => (b.kind === 'DkgDealing' ? [b.body.recipient] : [])),
    )
    const commitmentsId = dkgCommitmentsCodec.id(own)
    const out: DkgGossipBody[] = []
    for (let recipient = 1; recipient <= this.committee.n; recipient++) {
      if (recipient === this.index || dealt.has(recipient)) continue
      const publicKey = this.#publicKeyOf(recipient)
      if (publicKey === undefined) continue
      let share = this.#dealing.shares[recipient - 1]!
      if (this.#init.corruptShareTo === recipient) share = corruptedShare(this.#init.basis, share)
      const { dealing, ciphertext } = sealDealing(this.#init.domain, this.#init.validatorKey, {
        instance: this.instance,
        dealer: this.index,
        recipient,
        recipientPublicKey: toHex(publicKey),
        commitmentsId,
        share: encodePoly(share),
        randomness: dealingRandomness(this.#init.seed, this.instance.instanceId, recipient),
      })
      await this.#init.blobs.put(ciphertext)
      out.push({ kind: 'DkgDealing', body: dealing })
    }
    await this.#send(out)
  }

  async #verifyDealings(): Promise<void> {
    for (const [dealer, dealing] of this.#dealingsToMe) {
      if (this.#shareOk.has(dealer) || this.#shareBad.has(dealer)) continue
      const commitments = this.#commitments.get(dealer)
      const opened = await openDealtShare(this.#init, dealing, commitments)
      if (opened === undefined || commitments === undefined) continue
      const { share } = opened
      if (share !== undefined && this.#session.onShare(dealer, share) === undefined) {
        this.#shareOk.add(dealer)
        continue
      }
      this.#shareBad.add(dealer)
      this.#session.exclude(dealer)
      this.#convicted.add(dealer)
      await this.#send([complaintAgainst(this.#init, dealing, commitments, share !== undefined, 'DKG')])
    }
  }

  // ---- complaints ---------------------------------------------------------------------------

  async #judgeComplaints(): Promise<void> {
    for (const [id, complaint] of this.#complaints) {
      if (this.#judged.has(id) || complaint.complainant === this.index) continue
      const blobs = await complaintBlobs(this.#init, complaint)
      let opened: OpenedComplaint
      try {
        opened = openComplaint(
          this.#init.domain,
          { instance: this.instance, members: this.#init.members },
          complaint,
          (blobId) => blobs.get(blobId),
        )
      } catch (error) {
        if (!(error instanceof DkgEvidenceError)) throw error
        // A missing blob may yet come; any other fault is the complainant's.
        if (error.code === 'BLOB_MISSING') continue
        this.#judged.add(id)
        this.#falseAccusers.add(complaint.complainant)
        this.#init.log.warn({ complainant: complaint.complainant, code: error.code }, 'DKG: forged complaint')
        continue
      }
      this.#judged.add(id)
      if (this.#convicts(opened)) {
        this.#convicted.add(complaint.accused)
        this.#session.exclude(complaint.accused)
        this.#init.log.warn(
          { accused: complaint.accused, by: complaint.complainant },
          'DKG: dealer convicted',
        )
      } else {
        this.#falseAccusers.add(complaint.complainant)
        this.#init.log.warn({ complainant: complaint.complainant }, 'DKG: complaint does not hold')
      }
    }
  }

  /** Whether the opened evidence convicts the dealer: the bytes it signed do not make a share that opens. */
  #convicts(opened: OpenedComplaint): boolean {
    const { basis } = this.#init
    const decoded = new Map<number, RnsPoly>()
    for (const [recipient, bytes] of opened.shares) {
      if (bytes === undefined) return true
      try {
        decoded.set(recipient, decodePoly(basis, bytes, basis.primes.length, `share of ${recipient}`))
      } catch {
        return true
      }
    }
    if (opened.kind === 'UNDECRYPTABLE') return false
    const commitments = {
      instanceId: this.instance.instanceId,
      dealer: opened.accused,
      perRecipient: opened.perRecipient,
    }
    if (opened.kind === 'MISMATCH') {
      const [[recipient, share]] = [...decoded] as [[number, RnsPoly]]
      return verifyComplaint(basis, this.committee, {
        kind: 'MISMATCH',
        dealer: opened.accused,
        recipient,
        commitments,
        share,
      })
    }
    return (
      decoded.size > this.committee.t &&
      verifyComplaint(basis, this.committee, {
        kind: 'DEGREE',
        dealer: opened.accused,
        commitments,
        shares: decoded,
      })
    )
  }

  #notQualified(qualified: readonly number[]): number[] {
    return Array.from({ length: this.committee.n }, (_, k) => k + 1).filter((m) => !qualified.includes(m))
  }

  /**
   * The qualified set: dealers whose share to this member opened its commitment and whom no valid
   * complaint convicts. Fixed once every dealing is in and the complaint window has passed, or at
   * the deal deadline; written before any keygen message that depends on it.
   */
  async #decideQualified(): Promise<boolean> {
    const now = this.#init.now()
    const others = Array.from({ length: this.committee.n }, (_, k) => k + 1).filter((m) => m !== this.index)
    const allIn =
      this.#commitments.size === this.committee.n &&
      others.every((d) => this.#shareOk.has(d) || this.#shareBad.has(d))
    if (allIn) this.#allDealtAt ??= now
    const windowPassed =
      this.#allDealtAt !== undefined && now - this.#allDealtAt >= this.#init.timing.complaintWindowMs
    if (!windowPassed && now - this.#startedAt < this.#init.timing.dealMs) return false
    const qualified = [this.index, ...others]
      .filter((d) => d === this.index || this.#shareOk.has(d))
      .filter((d) => !this.#convicted.has(d))
      .sort((a, b) => a - b)
    for (const d of this.#notQualified(qualified)) this.#session.exclude(d)
    if (qualified.length < this.committee.t) {
      await this.#fail(`only ${qualified.length} qualified dealers, fewer than t = ${this.committee.t}`)
      return false
    }
    this.#init.log.info({ qualified, instance: this.instance.instanceId }, 'DKG: qualified set fixed')
    await this.#save({ qualified })
    this.#qualifiedAt = now
    return true
  }

  // ---- key generation -----------------------------------------------------------------------

  get #crs() {
    return { id: this.instance.instanceId, crs: fromHex(this.instance.instanceId) }
  }

  #steps(): { step: Step; galoisElement: number | null }[] {
    return [
      { step: 'ckg', galoisElement: null },
      { step: 'rkg1', galoisElement: null },
      ...this.#init.galoisElements.map((g) => ({ step: 'rtg' as const, galoisElement: g })),
    ]
  }

  /** This member's share of one step: computed once, its blob stored, its commitment sent. */
  async #commit(step: Step, galoisElement: number | null, polys: () => RnsPoly[]): Promise<void> {
    const key = stepKey(step, galoisElement)
    if (this.#journal.shareBlobs[key] !== undefined) return
    const share = polys()
    const blobId = await this.#init.blobs.put(encodeShareBlob(share))
    const commit = this.#sign<Extract<DkgRoundShare, { phase: 'commit' }>>('DkgRoundShare', {
      version: 1,
      instance: this.instance,
      step,
      galoisElement,
      member: this.index,
      commitment: toHex(shareCommitment(key, this.instance.instanceId, this.index, share)),
      phase: 'commit',
    })
    this.#journal = { ...this.#journal, shareBlobs: { ...this.#journal.shareBlobs, [key]: blobId } }
    await this.#send([{ kind: 'DkgRoundShare', body: commit }])
    await yieldToLoop()
  }

  /** Reveals a committed share once every qualified member's commitment to the step is in. */
  async #reveal(step: Step, galoisElement: number | null, qualified: readonly number[]): Promise<void> {
    const key = stepKey(step, galoisElement)
    const commits = this.#commits.get(key)
    const mine = commits?.get(this.index)
    const blobId = this.#journal.shareBlobs[key] as Hex32 | undefined
    if (mine === undefined || blobId === undefined || this.#reveals.get(key)?.has(this.index)) return
    if (!qualified.every((m) => commits?.has(m))) return
    const bytes = await this.#init.blobs.get(blobId)
    if (bytes === undefined)
      throw new ThresholdNodeError('DKG_BLOB_INVALID', `own share blob ${blobId} is gone`)
    const reveal = this.#sign<Extract<DkgRoundShare, { phase: 'reveal' }>>('DkgRoundShare', {
      version: 1,
      instance: this.instance,
      step,
      galoisElement,
      member: this.index,
      commitment: mine.commitment,
      phase: 'reveal',
      share: { blobId, size: bytes.length },
    })
    await this.#send([{ kind: 'DkgRoundShare', body: reveal }])
  }

  async #keygenShares(qualified: readonly number[]): Promise<void> {
    const { basis } = this.#init
    const member = this.#member
    const inst = this.#crs
    await this.#commit('ckg', null, () => [ckgShare(basis, member, inst)])
    await this.#commit('rkg1', null, () => {
      const r1 = rkgRound1(basis, member, inst)
      return [...r1.h0, ...r1.h1]
    })
    for (const g of this.#init.galoisElements)
      await this.#commit('rtg', g, () => rtgShare(basis, member, inst, g))
    for (const { step, galoisElement } of this.#steps()) await this.#reveal(step, galoisElement, qualified)
    const round1 = await this.#round1Aggregate(qualified)
    if (round1 !== undefined) {
      await this.#commit('rkg2', null, () => rkgRound2(basis, member, inst, round1))
      await this.#reveal('rkg2', null, qualified)
    }
  }

  /** Every qualified member's revealed share of a step, each opening its commitment; undefined until all are in. */
  async #revealed(
    key: string,
    count: number,
    qualified: readonly number[],
  ): Promise<Map<number, RnsPoly[]> | undefined> {
    const reveals = this.#reveals.get(key)
    const commits = this.#commits.get(key)
    if (!qualified.every((m) => reveals?.has(m) && commits?.has(m))) return undefined
    const out = new Map<number, RnsPoly[]>()
    for (const m of qualified) {
      const reveal = reveals!.get(m)!
      if (reveal.phase !== 'reveal') continue
      const bytes = await this.#fetch(reveal.share.blobId)
      if (bytes === undefined) return undefined
      const polys = decodeShareBlob(this.#init.basis, bytes, count, `${key} share of member ${m}`)
      const expected = toHex(shareCommitment(key, this.instance.instanceId, m, polys))
      if (expected !== commits!.get(m)!.commitment || reveal.commitment !== expected) {
        // it chose its share after seeing the others' (or sent garbage): this key cannot be trusted
        await this.#fail(`member ${m}'s ${key} share does not open its commitment`)
        return undefined
      }
      out.set(m, polys)
    }
    return out
  }

  get #width(): number {
    return this.#init.basis.primes.length - 1
  }

  async #round1Aggregate(qualified: readonly number[]) {
    const shares = await this.#revealed('rkg1', 2 * this.#width, qualified)
    if (shares === undefined) return undefined
    const w = this.#width
    return rkgAggregate(
      this.#init.basis,
      qualified.map((m) => ({ h0: shares.get(m)!.slice(0, w), h1: shares.get(m)!.slice(w) })),
    )
  }

  /** Once every share of every step is in: the collective key, stored, and this member's signature on it. */
  async #combine(qualified: readonly number[]): Promise<boolean> {
    if (!qualified.every((d) => d === this.index || this.#shareOk.has(d))) return false
    const { basis } = this.#init
    const inst = this.#crs
    const ckg = await this.#revealed('ckg', 1, qualified)
    const round1 = ckg && (await this.#round1Aggregate(qualified))
    const rkg2 = round1 && (await this.#revealed('rkg2', this.#width, qualified))
    if (ckg === undefined || round1 === undefined || rkg2 === undefined) return false
    const rtg = new Map<number, Map<number, RnsPoly[]>>()
    for (const g of this.#init.galoisElements) {
      const shares = await this.#revealed(`rtg/${g}`, this.#width, qualified)
      if (shares === undefined) return false
      rtg.set(g, shares)
    }
    const publicKey = ckgCombine(
      basis,
      inst,
      qualified.map((m) => ({
        member: m,
        commitment: fromHex(this.#commits.get('ckg')!.get(m)!.commitment),
        polys: ckg.get(m)!,
      })),
    )
    await yieldToLoop()
    const relinKeys = rkgCombine(
      basis,
      round1,
      qualified.map((m) => rkg2.get(m)!),
    )
    await yieldToLoop()
    const galois = new Map(
      this.#init.galoisElements.map((g) => {
        const shares = rtg.get(g)!
        return [
          g,
          rtgCombine(
            basis,
            inst,
            g,
            qualified.map((m) => shares.get(m)!),
          ),
        ] as const
      }),
    )
    const galoisKeys = galoisKeysBytes(basis, galois)
    const ref = async (bytes: Uint8Array) => ({
      blobId: await this.#init.blobs.put(bytes),
      size: bytes.length,
    })
    const key: CollectiveKey = {
      instance: this.instance,
      profile: this.#init.profile,
      qualified: [...qualified],
      publicKey: await ref(publicKey),
      relinKeys: await ref(relinKeys),
      galoisKeys: await ref(galoisKeys),
    }
    const { qualified: sessionQualified, key: memberKey } = this.#session.finish()
    if (sessionQualified.join(',') !== qualified.join(',')) {
      await this.#fail(
        `a complaint after the qualified set was fixed: ${sessionQualified} against ${qualified}`,
      )
      return true
    }
    const keyHash = collectiveKeyHash(key)
    await this.#init.keyring.putShare({
      keyHash,
      member: this.index,
      share: toHex(encodePoly(memberKey.share)),
    })
    await this.#storeKey(key, keyHash)
    await this.#save({ keyHash })
    const signature: CollectiveKeySignature = {
      version: 1,
      key,
      keyHash,
      signer: this.#init.self,
      signature: signCommitteeKey(this.#init.anchorDomain, this.#init.validatorKey, {
        epoch: this.instance.epoch,
        setHash: this.instance.setHash,
        keyHash,
      }),
    }
    this.#init.log.info({ keyHash, qualified, epoch: this.instance.epoch }, 'DKG: collective key formed')
    await this.#send([{ kind: 'CollectiveKeySignature', body: signature }])
    return true
  }

  async #storeKey(key: CollectiveKey, keyHash: Hex32): Promise<void> {
    await this.#init.keyring.putKey({
      keyHash,
      key,
      members: [...this.#init.members],
      threshold: this.committee.t,
    })
    this.#keyRecordDone = true
  }

  /** After a restart between the journal's keyHash and the keyring write (the keyring is written first, so a no-op today). */
  async #ensureKeyRecord(): Promise<void> {
    if (this.#keyRecordDone) return
    const keyHash = this.#journal.keyHash as Hex32
    if ((await this.#init.keyring.getKey(keyHash)) !== undefined) this.#keyRecordDone = true
  }
}

/** The one place a member's body of each kind takes in an instance. */
function slotOf(b: DkgGossipBody): string {
  switch (b.kind) {
    case 'DkgCommitments':
      return `commitments/${b.body.dealer}`
    case 'DkgDealing':
      return `dealing/${b.body.dealer}/${b.body.recipient}`
    case 'DkgRoundShare':
      return `share/${stepKey(b.body.step, b.body.galoisElement)}/${b.body.member}/${b.body.phase}`
    case 'DkgComplaint':
      return `complaint/${b.body.complainant}/${b.body.accused}`
    case 'CollectiveKeySignature':
      return `signature/${b.body.signer.toLowerCase()}`
  }
}
