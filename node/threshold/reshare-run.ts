import type { Logger } from 'pino'
import {
  type Address,
  type CollectiveKeySignature,
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
  openComplaint,
  sealDealing,
  sha256,
  signCommitteeKey,
  toHex,
  verifyCommitteeKeySignature,
  verifyDkgMessage,
} from '../../protocol/index.ts'
import {
  bftCommittee,
  type Committee,
  candidateShare,
  DEFAULT_SMUDGING_BITS,
  decodePoly,
  encodePoly,
  heContext,
  isProfileName,
  RESHARE_CHECK_BOUND,
  type ReshareChallenge,
  type ReshareInstance,
  type RnsBasis,
  type RnsPoly,
  reshareChallenge,
  reshareCheckOpen,
  reshareCheckShares,
  reshareDeal,
  reshareReceive,
  shareCommitment,
  uncompressedPublicKey,
} from '../../sandbox/index.ts'
import type { DkgJournalStore, Journal } from './dkg-journal.ts'
import type { DkgBlobs } from './dkg-run.ts'
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
import type { CommitteeKeyRecord, Keyring } from './keyring.ts'
import { dealingRandomness, instanceMember } from './member-seed.ts'
import { setsContaining } from './release-shares.ts'
import { decodeReshareCheck, encodeReshareCheck } from './reshare-check-blob.ts'

export interface ReshareTiming {
  /** from the instance's start: if some dealer's verified share is still missing, the round fails naming it */
  readonly dealMs: number
  /**
   * Once this member's shares all hold, how long it waits for complaints from other new members
   * before it opens the check; then how long it waits for every new member's check before it
   * judges the t-sets it has. Complaints and late checks are still judged after, until hand-over.
   */
  readonly complaintWindowMs: number
}

export interface ReshareRunInit {
  readonly basis: RnsBasis
  readonly domain: Eip712Domain
  readonly anchorDomain: Eip712Domain
  readonly validatorKey: Hex32
  readonly seed: Uint8Array
  /** the key as the old committee holds it (keyring.keyOfEpoch of the old epoch) */
  readonly key: CommitteeKeyRecord
  /** dkgInstance(new epoch, new set hash, round): what every message and signature binds to */
  readonly instance: DkgInstance
  /** the old members who deal (their indices in key.members, ascending, at least key.threshold) */
  readonly dealers: readonly number[]
  /** the new epoch's set in set order */
  readonly newMembers: readonly Address[]
  /**
   * The epoch (and its set hash) whose committee holds the key now. An old member re-states the
   * key's registration for it, signed, with the key record: a newcomer has no record of the key,
   * and takes this one because its hash is what the chain holds for that epoch.
   */
  readonly holders?: { readonly epoch: number; readonly setHash: Hex32 } | undefined
  readonly self: Address
  readonly journal: DkgJournalStore
  readonly blobs: DkgBlobs
  readonly keyring: Keyring
  readonly publish: (body: DkgGossipBody) => Promise<void>
  readonly timing: ReshareTiming
  readonly now: () => number
  /** Test-only misbehaviour: deal this new member (new-set index) a share that does not open its commitment. */
  readonly corruptShareTo?: number | undefined
  /**
   * Test-only misbehaviour: deal a consistent sharing of something other than λ_i·sh_i (the old
   * share off by one), which no commitment can catch.
   */
  readonly dealWrongValue?: boolean | undefined
  readonly log: Logger
}

/** Round numbers of reshare instances start here, so they never share an id with the epoch's own DKG rounds. */
export const RESHARE_ROUND_BASE = 2 ** 31

const NO_SHARE = `0x${'00'.repeat(32)}` as Hex32
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * One participant's run of a proactive reshare of a committee key to the next epoch's set, over the
 * `dkg` topic with the DKG's own signed message types. Participants are the old set followed by the
 * new members not in it (a message's member index is the position in that list, so an old member's
 * index is its old Shamir point). Every participant broadcasts DkgCommitments (its signature is how
 * peers learn the public key to seal to); a dealer's also commits, per new member, to the share of
 * λ_i·sh_i it deals them. Dealings are sealed to each new member; a new member checks each share
 * against the commitment, complains with the DKG's evidence if it does not open, and once every
 * dealer's share holds, sums them into its new Shamir share (kept aside in the keyring) and signs
 * the unchanged keyHash for the new epoch. Lagrange coefficients depend on the dealer set, so it is
 * fixed per instance: a convicted or silent dealer fails the round, and the next round leaves it out.
 * `handOver` (after the new epoch's registration) swaps in the new share and deletes the old one.
 *
 * The persist-before-send rule is the DKG's: bodies go through the journal, and every dealing is
 * deterministic in (seed, instance), so a restart re-sends the same bytes.
 */
export class ReshareRun {
  readonly instance: DkgInstance
  /** the participants: old set, then new members not in it */
  readonly participants: readonly Address[]
  /** this node's participant index */
  readonly index: number
  readonly #init: ReshareRunInit
  readonly #oldCommittee: Committee
  readonly #newCommittee: Committee
  /** participant index → new-set index (the new Shamir point) */
  readonly #newIndex = new Map<number, number>()
  #journal: Journal
  readonly #received = new Map<Hex32, DkgGossipBody>()
  readonly #commitments = new Map<number, DkgCommitments>()
  readonly #dealingsToMe = new Map<number, DkgDealing>()
  readonly #sharesOk = new Map<number, RnsPoly>()
  readonly #complaints = new Map<Hex32, DkgComplaint>()
  readonly #judged = new Set<Hex32>()
  readonly #convicted = new Set<number>()
  /** dealers whose verified share was still missing at the deadline */
  readonly #silent = new Set<number>()
  readonly #signatures = new Map<Address, CollectiveKeySignature>()
  /** new-set index → its check round share, and once fetched, its openings (candidate, set, prime) */
  readonly #checks = new Map<number, DkgRoundShare>()
  readonly #openings = new Map<number, bigint[][][]>()
  #challenge: ReshareChallenge | undefined
  #checkSentAt: number | undefined
  readonly #startedAt: number
  #allSharesAt: number | undefined
  #busy: Promise<void> = Promise.resolve()

  private constructor(init: ReshareRunInit, journal: Journal) {
    this.#init = init
    this.instance = init.instance
    const old = init.key.members.map((m) => m.toLowerCase() as Address)
    const fresh = init.newMembers.map((m) => m.toLowerCase() as Address)
    this.participants = [...old, ...fresh.filter((m) => !old.includes(m))]
    this.participants.forEach((p, k) => {
      const j = fresh.indexOf(p)
      if (j >= 0) this.#newIndex.set(k + 1, j + 1)
    })
    this.index = this.participants.indexOf(init.self.toLowerCase() as Address) + 1
    if (this.index === 0) throw new ThresholdNodeError('RESHARE_FAILED', `${init.self} is in neither set`)
    this.#oldCommittee = bftCommittee(old.length)
    this.#newCommittee = bftCommittee(fresh.length)
    if (init.dealers.length < init.key.threshold || init.dealers.some((d) => d < 1 || d > old.length)) {
      throw new ThresholdNodeError(
        'RESHARE_FAILED',
        `dealers ${init.dealers} are not at least ${init.key.threshold} members of the old set`,
      )
    }
    this.#journal = journal
    this.#startedAt = init.now()
  }

  static async open(init: ReshareRunInit): Promise<ReshareRun> {
    const run = new ReshareRun(init, await init.journal.load(init.instance.instanceId))
    for (const body of run.#journal.sent) run.#index(body)
    return run
  }

  get sent(): readonly DkgGossipBody[] {
    return this.#journal.sent
  }

  get failed(): string | undefined {
    return this.#journal.failed ?? undefined
  }

  /** Dealers this run convicted: the next round's dealer set leaves them out. */
  get convicted(): number[] {
    return [...this.#convicted].sort((a, b) => a - b)
  }

  /** Dealers the next round leaves out: convicted, or silent until this round's deadline. */
  get dropped(): number[] {
    return [...new Set([...this.#convicted, ...this.#silent])].sort((a, b) => a - b)
  }

  /** Whether a body is already held (gossip ignores what a node has). */
  holds(body: DkgGossipBody): boolean {
    return this.#received.has(dkgBodyId(body))
  }

  /** The new member's index in the new set, or undefined for an old member leaving. */
  get newIndex(): number | undefined {
    return this.#newIndex.get(this.index)
  }

  /** Whether this node has its reshared share and has signed (always true of a leaving member's view: it has nothing to sum). */
  get signed(): boolean {
    return this.#journal.keyHash !== null
  }

  /** The new members' signatures on the key for the new epoch, by signer. */
  get signatures(): ReadonlyMap<Address, CollectiveKeySignature> {
    return this.#signatures
  }

  receive(body: DkgGossipBody): void {
    this.#index(body)
  }

  advance(): Promise<void> {
    this.#busy = this.#busy.then(() =>
      this.#advance().catch((err: unknown) => {
        this.#init.log.warn({ err, instance: this.instance.instanceId }, 'reshare step failed; will retry')
      }),
    )
    return this.#busy
  }

  /**
   * After the new epoch's committee registered the key (or, with no chain, a quorum of it signed):
   * the key record names the new holders, and this node's old share is replaced by its reshared one
   * or deleted.
   */
  async handOver(): Promise<void> {
    if (this.#journal.failed !== null) {
      throw new ThresholdNodeError(
        'RESHARE_FAILED',
        `round ${this.instance.round} failed: ${this.#journal.failed}`,
      )
    }
    const { key, keyring, blobs } = this.#init
    const keyHash = key.keyHash as Hex32
    if ((await keyring.getKey(keyHash)) === undefined) {
      // a newcomer: the key's public objects join its store, as the DKG's members hold them
      for (const ref of [key.key.publicKey, key.key.relinKeys, key.key.galoisKeys])
        await blobs.fetch(ref.blobId)
      await keyring.putKey(key)
    }
    await this.#init.keyring.putHolders(keyHash, {
      epoch: this.instance.epoch,
      members: [...this.#init.newMembers],
      threshold: this.#newCommittee.t,
    })
    await this.#init.keyring.handOver(keyHash, this.instance.epoch)
  }

  #index(body: DkgGossipBody): void {
    const id = dkgBodyId(body)
    if (this.#received.has(id) || !this.#authentic(body)) return
    this.#received.set(id, body)
    if (body.kind === 'CollectiveKeySignature') {
      this.#signatures.set(body.body.signer.toLowerCase() as Address, body.body)
      return
    }
    switch (body.kind) {
      case 'DkgCommitments':
        if (this.#commitments.has(body.body.dealer)) {
          // a second, different broadcast is equivocation
          this.#convicted.add(body.body.dealer)
        } else this.#commitments.set(body.body.dealer, body.body)
        return
      case 'DkgDealing':
        if (body.body.recipient === this.index && !this.#dealingsToMe.has(body.body.dealer))
          this.#dealingsToMe.set(body.body.dealer, body.body)
        return
      case 'DkgComplaint':
        this.#complaints.set(id, body.body)
        return
      case 'DkgRoundShare': {
        const j = this.#newIndex.get(body.body.member)
        if (body.body.step === 'reshare-check' && j !== undefined && !this.#checks.has(j))
          this.#checks.set(j, body.body)
        return
      }
    }
  }

  /**
   * Signed by the participant it names, for this instance (a signature on the key: by a new member,
   * for the new epoch and set). The run checks this itself: the topic's validator knows the epoch's
   * DKG set, not the union of two sets a reshare runs in.
   */
  #authentic(body: DkgGossipBody): boolean {
    const signer = body.body.signer.toLowerCase() as Address
    if (body.kind === 'CollectiveKeySignature') {
      const b = body.body
      return (
        b.keyHash === this.#init.key.keyHash &&
        this.#init.newMembers.some((m) => m.toLowerCase() === signer) &&
        verifyCommitteeKeySignature(
          this.#init.anchorDomain,
          { epoch: this.instance.epoch, setHash: this.instance.setHash, keyHash: b.keyHash as Hex32 },
          b.signature,
          signer,
        )
      )
    }
    if (body.body.instance.instanceId !== this.instance.instanceId) return false
    const claimed =
      body.kind === 'DkgComplaint'
        ? body.body.complainant
        : body.kind === 'DkgRoundShare'
          ? body.body.member
          : body.body.dealer
    return (
      this.participants[claimed - 1] === signer && verifyDkgMessage(this.#init.domain, body.kind, body.body)
    )
  }

  async #advance(): Promise<void> {
    if (this.#journal.failed !== null) return
    await this.#sendCommitments()
    await this.#sendDealings()
    await this.#verifyDealings()
    // judged even after signing: a dealer convicted late still fails the round, and hand-over refuses
    await this.#judgeComplaints()
    const bad = this.#init.dealers.filter((d) => this.#convicted.has(d))
    if (bad.length > 0) {
      await this.#fail(`dealers ${bad} convicted: the next round leaves them out`)
      return
    }
    // every participant judges the checks: a leaving member must refuse hand-over of a bad sharing too
    const verdict = await this.#judgeChecks()
    if (verdict.failed !== undefined) {
      for (const d of verdict.convicted) this.#convicted.add(d)
      await this.#fail(verdict.failed)
      return
    }
    if (this.newIndex === undefined || this.#journal.keyHash !== null) return
    if (this.#init.dealers.every((d) => this.#sharesOk.has(d))) {
      this.#allSharesAt ??= this.#init.now()
      if (this.#init.now() - this.#allSharesAt < this.#init.timing.complaintWindowMs) return
      await this.#sendCheck()
      if (verdict.passed) await this.#sumAndSign()
      return
    }
    if (this.#init.now() - this.#startedAt > this.#init.timing.dealMs) {
      const missing = this.#init.dealers.filter((d) => !this.#sharesOk.has(d))
      for (const d of missing) this.#silent.add(d)
      await this.#fail(`no verified share from dealers ${missing} before the deadline`)
    }
  }

  async #send(bodies: readonly DkgGossipBody[]): Promise<void> {
    this.#journal = await persistThenPublish(this.#init, this.#journal, bodies, (b) => this.#index(b))
  }

  async #fail(reason: string): Promise<void> {
    this.#init.log.warn({ instance: this.instance, reason }, 'reshare instance failed')
    this.#journal = { ...this.#journal, failed: reason }
    await this.#init.journal.save(this.#journal)
  }

  #sign<T extends { signer: Address; signature: Hex }>(
    kind: SignedDkgKind,
    body: Omit<T, 'signer' | 'signature'>,
  ): T {
    return signDkgBody<T>(this.#init, kind, body)
  }

  get #isDealer(): boolean {
    return this.#init.dealers.includes(this.index)
  }

  /** This dealer's shares of λ_i·sh_i, by new-set index; deterministic in (seed, instance, dealer set). */
  #dealing: RnsPoly[] | undefined
  async #deal(): Promise<RnsPoly[]> {
    if (this.#dealing !== undefined) return this.#dealing
    const { basis, keyring, key } = this.#init
    const held = await keyring.getShare(key.keyHash as Hex32)
    if (held === undefined || held.member !== this.index) {
      throw new ThresholdNodeError('KEY_UNKNOWN', `no share of ${key.keyHash} as old member ${this.index}`)
    }
    const share = decodePoly(basis, fromHex(held.share as Hex), basis.primes.length, 'own old share')
    const member = instanceMember(this.#init.seed, this.#oldCommittee, this.index, this.instance.instanceId)
    const inst: ReshareInstance = {
      id: this.instance.instanceId,
      from: [...this.#init.dealers],
      to: this.#newCommittee,
    }
    const dealt = this.#init.dealWrongValue === true ? corruptedShare(basis, share) : share
    this.#dealing = reshareDeal(basis, { member, share: dealt }, inst)
    return this.#dealing
  }

  #commitment(dealer: number, newIndex: number, share: RnsPoly): Hex32 {
    return toHex(
      shareCommitment(`reshare-deal/${dealer}`, this.instance.instanceId, newIndex, [share]),
    ) as Hex32
  }

  async #sendCommitments(): Promise<void> {
    if (this.#commitments.has(this.index)) return
    if (!this.#isDealer && this.newIndex === undefined) return
    const dealing = this.#isDealer ? await this.#deal() : undefined
    const perRecipient = this.participants.map((_, k) => {
      const j = this.#newIndex.get(k + 1)
      return dealing === undefined || j === undefined
        ? NO_SHARE
        : this.#commitment(this.index, j, dealing[j - 1]!)
    })
    const commitments = this.#sign<DkgCommitments>('DkgCommitments', {
      version: 1,
      instance: this.instance,
      dealer: this.index,
      perRecipient,
    })
    const bodies: DkgGossipBody[] = [{ kind: 'DkgCommitments', body: commitments }]
    const { holders, key } = this.#init
    if (holders !== undefined && this.index <= this.#oldCommittee.n) {
      bodies.push({
        kind: 'CollectiveKeySignature',
        body: {
          version: 1,
          key: key.key,
          keyHash: key.keyHash as Hex32,
          signer: this.#init.self.toLowerCase() as Address,
          signature: signCommitteeKey(this.#init.anchorDomain, this.#init.validatorKey, {
            epoch: holders.epoch,
            setHash: holders.setHash,
            keyHash: key.keyHash as Hex32,
          }),
        },
      })
    }
    await this.#send(bodies)
  }

  async #sendDealings(): Promise<void> {
    const own = this.#commitments.get(this.index)
    if (!this.#isDealer || own === undefined) return
    const dealt = new Set(
      this.#journal.sent.flatMap((b) => (b.kind === 'DkgDealing' ? [b.body.recipient] : [])),
    )
    const dealing = await this.#deal()
    const commitmentsId = dkgCommitmentsCodec.id(own)
    const out: DkgGossipBody[] = []
    for (const [recipient, j] of this.#newIndex) {
      if (dealt.has(recipient)) continue
      const publicKey = commitmentsPublicKey(this.#init.domain, this.#commitments.get(recipient))
      if (publicKey === undefined) continue
      let share = dealing[j - 1]!
      if (this.#init.corruptShareTo === j) share = corruptedShare(this.#init.basis, share)
      const { dealing: body, ciphertext } = sealDealing(this.#init.domain, this.#init.validatorKey, {
        instance: this.instance,
        dealer: this.index,
        recipient,
        recipientPublicKey: toHex(publicKey),
        commitmentsId,
        share: encodePoly(share),
        randomness: dealingRandomness(this.#init.seed, this.instance.instanceId, recipient),
      })
      await this.#init.blobs.put(ciphertext)
      out.push({ kind: 'DkgDealing', body })
      await yieldToLoop()
    }
    await this.#send(out)
  }

  async #verifyDealings(): Promise<void> {
    const j = this.newIndex
    if (j === undefined) return
    for (const [dealer, dealing] of this.#dealingsToMe) {
      if (this.#sharesOk.has(dealer) || this.#convicted.has(dealer) || !this.#init.dealers.includes(dealer))
        continue
      const commitments = this.#commitments.get(dealer)
      const opened = await openDealtShare(this.#init, dealing, commitments)
      if (opened === undefined || commitments === undefined) continue
      const { share } = opened
      if (
        share !== undefined &&
        this.#commitment(dealer, j, share) === commitments.perRecipient[this.index - 1]
      ) {
        this.#sharesOk.set(dealer, share)
        continue
      }
      this.#convicted.add(dealer)
      await this.#send([complaintAgainst(this.#init, dealing, commitments, share !== undefined, 'reshare')])
    }
  }

  #decode(bytes: Uint8Array): RnsPoly | undefined {
    try {
      return decodePoly(this.#init.basis, bytes, this.#init.basis.primes.length, 'reshared share')
    } catch {
      return undefined
    }
  }

  /** Another participant's complaint: convicts the dealer when the evidence shows its share does not open. */
  async #judgeComplaints(): Promise<void> {
    for (const [id, complaint] of this.#complaints) {
      if (this.#judged.has(id) || complaint.complainant === this.index) continue
      const blobs = await complaintBlobs(this.#init, complaint)
      try {
        const opened = openComplaint(
          this.#init.domain,
          { instance: this.instance, members: this.participants },
          complaint,
          (blobId) => blobs.get(blobId),
        )
        this.#judged.add(id)
        const [[recipient, bytes]] = [...opened.shares] as [[number, Uint8Array | undefined]]
        const j = this.#newIndex.get(recipient)
        const share = bytes === undefined ? undefined : this.#decode(bytes)
        const holds =
          opened.kind !== 'DEGREE' &&
          j !== undefined &&
          share !== undefined &&
          this.#commitment(opened.accused, j, share) === toHex(opened.perRecipient[recipient - 1]!)
        if (holds)
          this.#init.log.warn({ complainant: complaint.complainant }, 'reshare: complaint does not hold')
        else {
          this.#convicted.add(opened.accused)
          this.#init.log.warn(
            { accused: opened.accused, by: complaint.complainant },
            'reshare: dealer convicted',
          )
        }
      } catch (error) {
        if (!(error instanceof DkgEvidenceError)) throw error
        if (error.code === 'BLOB_MISSING') continue
        this.#judged.add(id)
        this.#init.log.warn(
          { complainant: complaint.complainant, code: error.code },
          'reshare: forged complaint',
        )
      }
    }
  }

  /** S, then (when S has more than the old t) S without each dealer in turn: the sets a check opens. */
  get #candidates(): number[][] {
    const S = [...this.#init.dealers]
    if (S.length <= this.#init.key.threshold) return [S]
    return [S, ...S.map((d) => S.filter((i) => i !== d))]
  }

  /**
   * The challenge, once every dealer's signed commitments are in: its seed hashes them, so it is
   * fixed only after each dealer fixed what it deals.
   */
  async #challengeOf(): Promise<ReshareChallenge | undefined> {
    if (this.#challenge !== undefined) return this.#challenge
    const ids: string[] = []
    for (const d of this.#init.dealers) {
      const c = this.#commitments.get(d)
      if (c === undefined) return undefined
      ids.push(dkgCommitmentsCodec.id(c))
    }
    const stored = await fetchIfServed(this.#init, this.#init.key.key.publicKey.blobId as Hex32)
    if (stored === undefined) return undefined
    const profile = this.#init.key.key.profile
    if (!isProfileName(profile))
      throw new ThresholdNodeError('KEY_UNKNOWN', `key ${this.#init.key.keyHash} names profile ${profile}`)
    // a key's blob may be SEAL's zstd form (as vaults store it); the maths reads the plain one
    const publicKey = uncompressedPublicKey(await heContext(profile), stored)
    const seed = fromHex(
      sha256(Buffer.from(`tcf/reshare-check/v1\0${this.instance.instanceId}\0${ids.join(',')}`)),
    )
    this.#challenge = reshareChallenge(this.#init.basis, publicKey, seed)
    return this.#challenge
  }

  /** This new member's openings of the challenge with every candidate sharing, signed and persisted. */
  async #sendCheck(): Promise<void> {
    const j = this.newIndex!
    if (this.#checks.has(j)) return
    const challenge = await this.#challengeOf()
    if (challenge === undefined) return
    const { basis } = this.#init
    const member = instanceMember(this.#init.seed, this.#newCommittee, j, this.instance.instanceId)
    const sets = setsContaining(this.#newCommittee.n, this.#newCommittee.t, j)
    const candidates = this.#candidates
    const openings = candidates.map((T) =>
      reshareCheckShares(
        basis,
        member,
        candidateShare(basis, this.#oldCommittee, this.#init.dealers, T, this.#sharesOk),
        challenge,
        sets,
        T.join(','),
        DEFAULT_SMUDGING_BITS,
      ),
    )
    const bytes = encodeReshareCheck(candidates, sets, openings)
    const blobId = await this.#init.blobs.put(bytes)
    const check = this.#sign<Extract<DkgRoundShare, { phase: 'reveal' }>>('DkgRoundShare', {
      version: 1,
      instance: this.instance,
      step: 'reshare-check',
      galoisElement: null,
      member: this.index,
      commitment: blobId,
      phase: 'reveal',
      share: { blobId, size: bytes.length },
    })
    this.#checkSentAt = this.#init.now()
    this.#openings.set(j, openings)
    await this.#send([{ kind: 'DkgRoundShare', body: check }])
  }

  /**
   * Whether the sharing of S opens the challenge in every t-set of new members whose checks are in.
   * Decided once every new member's check is in, or a window after this member's own with at least
   * one complete set. A set that opens to noise fails the round (also after signing: hand-over then
   * refuses), naming each dealer d for which S \ {d} opens in every complete set.
   */
  async #judgeChecks(): Promise<{ passed: boolean; failed?: string; convicted: number[] }> {
    const pending = { passed: false, convicted: [] }
    const challenge = this.#checks.size === 0 ? undefined : await this.#challengeOf()
    if (challenge === undefined) return pending
    const { basis } = this.#init
    const candidates = this.#candidates
    // after a restart the own check comes back from the journal: its window starts again now
    if (this.newIndex !== undefined && this.#checks.has(this.newIndex)) this.#checkSentAt ??= this.#init.now()
    for (const [j, check] of this.#checks) {
      if (this.#openings.has(j) || check.phase !== 'reveal') continue
      const bytes = await fetchIfServed(this.#init, check.share.blobId as Hex32)
      if (bytes === undefined) continue
      const sets = setsContaining(this.#newCommittee.n, this.#newCommittee.t, j)
      const openings = decodeReshareCheck(basis, bytes, { candidates, sets })
      if (openings === undefined) {
        this.#init.log.warn({ member: j }, 'reshare: a check that is not the one owed; left out')
        continue
      }
      this.#openings.set(j, openings)
    }
    const n = this.#newCommittee.n
    const allSets = new Map<string, number[]>()
    for (let m = 1; m <= n; m++)
      for (const U of setsContaining(n, this.#newCommittee.t, m)) allSets.set(U.join(), U)
    const complete = [...allSets.values()].filter((U) => U.every((j) => this.#openings.has(j)))
    if (complete.length === 0) return pending
    const opens = (c: number) =>
      complete.every((U) => {
        const value = reshareCheckOpen(
          basis,
          challenge,
          U.map((j) => {
            const mine = setsContaining(n, this.#newCommittee.t, j)
            return this.#openings.get(j)![c]![mine.findIndex((s) => s.join() === U.join())]!
          }),
        )
        return (value < 0n ? -value : value) < RESHARE_CHECK_BOUND
      })
    if (!opens(0)) {
      const convicted = candidates.length === 1 ? [] : this.#init.dealers.filter((_, k) => opens(k + 1))
      return {
        passed: false,
        convicted,
        failed:
          convicted.length > 0
            ? `reshare check: the sharing does not open the key; it does without dealers ${convicted}, convicted`
            : `reshare check: the sharing of dealers ${this.#init.dealers} does not open the key`,
      }
    }
    const everyone = this.#openings.size === n
    const waited =
      this.#checkSentAt !== undefined &&
      this.#init.now() - this.#checkSentAt >= this.#init.timing.complaintWindowMs
    return { passed: everyone || waited, convicted: [] }
  }

  async #sumAndSign(): Promise<void> {
    const j = this.newIndex!
    const { basis, key, keyring } = this.#init
    const inst: ReshareInstance = {
      id: this.instance.instanceId,
      from: [...this.#init.dealers],
      to: this.#newCommittee,
    }
    const member = instanceMember(this.#init.seed, this.#newCommittee, j, this.instance.instanceId)
    const mine = reshareReceive(
      basis,
      member,
      inst,
      this.#init.dealers.map((d) => this.#sharesOk.get(d)!),
    )
    const keyHash = key.keyHash as Hex32
    await keyring.putNextShare(
      { keyHash, member: j, share: toHex(encodePoly(mine.share)) },
      this.instance.epoch,
    )
    this.#journal = { ...this.#journal, qualified: [...this.#init.dealers], keyHash }
    const signature: CollectiveKeySignature = {
      version: 1,
      key: key.key,
      keyHash,
      signer: this.#init.self.toLowerCase() as Address,
      signature: signCommitteeKey(this.#init.anchorDomain, this.#init.validatorKey, {
        epoch: this.instance.epoch,
        setHash: this.instance.setHash,
        keyHash,
      }),
    }
    this.#init.log.info({ keyHash, epoch: this.instance.epoch, member: j }, 'reshare: new share formed')
    await this.#send([{ kind: 'CollectiveKeySignature', body: signature }])
  }
}
