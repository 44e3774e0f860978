import type { Logger } from 'pino'
import {
  type Address,
  blobIdOf,
  type CollectiveKeySignature,
  type CommitteeInfo,
  type CommitteeKeyCall,
  type DkgGossip,
  type DkgGossipBody,
  type DkgStatus,
  dkgBodyId,
  dkgInstance,
  type Eip712Domain,
  type Hex32,
} from '../../protocol/index.ts'
import {
  bftCommittee,
  DEFAULT_PROFILE,
  galoisElement,
  heContext,
  type ProfileName,
  type RnsBasis,
  rnsBasis,
  rotateAndSumSteps,
} from '../../sandbox/index.ts'
import type { NodeChain } from '../ports.ts'
import type { NodeStore } from '../storage/index.ts'
import { type EpochCommittee, epochCommittee, hasQuorum } from './committee-set.ts'
import { dkgJournalStore } from './dkg-journal.ts'
import { type DkgBlobs, DkgRun, type DkgTiming } from './dkg-run.ts'
import { ThresholdNodeError } from './errors.ts'
import type { Keyring } from './keyring.ts'
import { loadOrCreateMemberSeed } from './member-seed.ts'
import { RESHARE_ROUND_BASE } from './reshare-run.ts'
import { ReshareService, type ReshareSets } from './reshare-service.ts'

/** The Anchor's committee-key side, as the DKG needs it. */
export interface CommitteeChain {
  /** Anchor.committeeKeys(epoch); undefined when none is registered */
  committeeKeyHash(epoch: number): Promise<Hex32 | undefined>
  /** Anchor.registerCommitteeKey; 'already-registered' when someone was first */
  registerCommitteeKey(call: CommitteeKeyCall): Promise<'registered' | 'already-registered'>
}

export interface DkgNetwork {
  publish(message: DkgGossip): Promise<void>
  fetchBlob(id: Hex32): Promise<Uint8Array>
}

export interface DkgServiceTiming extends DkgTiming {
  /** how often the service looks at the chain and drives the instance */
  readonly tickMs: number
  /** how often this member re-sends what it signed while the instance is open */
  readonly resendMs: number
  /** after a key is formed: how long to wait for a quorum of signatures before the next round */
  readonly signMs: number
  /** member k (in set order among the signers) submits the registration (k − 1) × this after quorum */
  readonly takeoverMs: number
}

export const DEFAULT_DKG_TIMING: DkgServiceTiming = {
  tickMs: 1_000,
  resendMs: 5_000,
  dealMs: 120_000,
  complaintWindowMs: 5_000,
  keygenMs: 300_000,
  signMs: 120_000,
  takeoverMs: 10_000,
}

export interface DkgServiceInit {
  readonly home: string
  readonly validatorKey: Hex32
  readonly self: Address
  /** the network's domain (the ValidatorRegistry): DKG messages are signed under it */
  readonly domain: Eip712Domain
  /** the Anchor's: CommitteeKey signatures */
  readonly anchorDomain: Eip712Domain
  readonly chain: Pick<NodeChain, 'currentEpoch' | 'validatorSet'>
  readonly committeeChain: CommitteeChain
  readonly store: Pick<NodeStore, 'getMeta' | 'putMeta' | 'blobs'>
  readonly network: () => DkgNetwork | undefined
  readonly keyring: Keyring
  readonly profile?: ProfileName
  readonly timing?: Partial<DkgServiceTiming>
  /**
   * Whether this node takes part in its epochs' DKG (config threshold.dkg). When false the service
   * only answers what this node's keyring and the chain say (`info`): a node given its share
   * another way still serves the committee key.
   */
  readonly run?: boolean
  /** test-only: see DkgRunInit.corruptShareTo */
  readonly corruptShareTo?: number | undefined
  /** test-only: as an old member of a reshare, deal a consistent sharing of a wrong value */
  readonly reshareWrongValue?: boolean | undefined
  /** told once this node handed a reshared key to the new epoch's holders */
  readonly onHandOver?: (keyHash: Hex32) => void
  readonly logger: Logger
}

interface Open {
  readonly committee: EpochCommittee
  readonly run: DkgRun
  /** signatures of collective keys of this epoch, by signer */
  readonly signatures: Map<Address, CollectiveKeySignature>
  quorumAt: number | undefined
  keyAt: number | undefined
  registered: boolean
  /** members seen in later rounds of the epoch, by round */
  readonly later: Map<number, Set<Address>>
}

/**
 * The epoch committee's DKG in the daemon (a js-libp2p style component: start / stop). Each tick it
 * reads the chain's current epoch and set; if this node is a member and the keyring has no key for
 * the epoch, it runs the epoch's instance (round r, the next round after a failed one) with the
 * other members over the `dkg` topic. Once the key is formed it gathers the members' signatures,
 * has the registration submitted (lowest index first, the others after a delay each), and confirms
 * it by reading the Anchor.
 */
export class DkgService {
  readonly #init: DkgServiceInit
  readonly #timing: DkgServiceTiming
  readonly #journal
  readonly #log: Logger
  #seed: Uint8Array | undefined
  #basis: RnsBasis | undefined
  #galois: number[] = []
  #open: Open | undefined
  readonly #committees = new Map<number, EpochCommittee>()
  #timer: NodeJS.Timeout | undefined
  #resendTimer: NodeJS.Timeout | undefined
  #ticking: Promise<void> = Promise.resolve()
  #queued = false
  #resend = 0
  #epoch: number | undefined
  #stopped = false
  readonly #reshare: ReshareService

  constructor(init: DkgServiceInit) {
    this.#init = init
    this.#timing = { ...DEFAULT_DKG_TIMING, ...init.timing }
    this.#journal = dkgJournalStore(init.store)
    this.#log = init.logger.child({ module: 'dkg' })
    this.#reshare = new ReshareService({
      validatorKey: init.validatorKey,
      self: init.self,
      domain: init.domain,
      anchorDomain: init.anchorDomain,
      committeeChain: init.committeeChain,
      committee: (epoch) => this.committee(epoch),
      store: init.store,
      journal: this.#journal,
      keyring: init.keyring,
      blobs: this.#blobs(),
      context: () =>
        this.#seed === undefined || this.#basis === undefined
          ? undefined
          : { seed: this.#seed, basis: this.#basis },
      publish: (body, resend) => this.#publish(body, resend),
      timing: this.#timing,
      onHandOver: init.onHandOver,
      dealWrongValue: init.reshareWrongValue,
      log: this.#log,
    })
  }

  async start(): Promise<void> {
    this.#stopped = false
    if (this.#init.run === false) return
    this.#seed = await loadOrCreateMemberSeed(this.#init.home, this.#init.validatorKey)
    const ctx = await heContext(this.#init.profile ?? DEFAULT_PROFILE)
    this.#basis = rnsBasis(ctx)
    // The same rotations owner-mode vaults generate keys for (sandbox/he/keys.ts), as Galois elements.
    this.#galois = rotateAndSumSteps(ctx.profile.slotCount).map((step) =>
      galoisElement(ctx.profile.polyModulusDegree, step),
    )
    this.#timer = setInterval(() => this.#schedule(), this.#timing.tickMs)
    this.#resendTimer = setInterval(() => void this.#resendAll(), this.#timing.resendMs)
    this.#schedule()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    clearInterval(this.#resendTimer)
    await this.#ticking
  }

  /** The set of an epoch (cached: a started epoch's set never changes). */
  async committee(epoch: number): Promise<EpochCommittee | undefined> {
    const hit = this.#committees.get(epoch)
    if (hit) return hit
    const set = await this.#init.chain.validatorSet(epoch)
    if (set.length === 0) return undefined
    const committee = epochCommittee(epoch, set)
    this.#committees.set(epoch, committee)
    return committee
  }

  /** The chain's current epoch as last read: gossip for other epochs is ignored. */
  get epoch(): number | undefined {
    return this.#epoch
  }

  /** The current epoch's reshare (its old set and key), when it reshares instead of running a DKG. */
  reshareSets(epoch: number): ReshareSets | undefined {
    return this.#reshare.sets(epoch)
  }

  /** Whether a body is already held by the open instance (gossip ignores what it has). */
  holds(body: DkgGossipBody): boolean {
    if (this.#isReshare(body)) return this.#reshare.holds(body)
    const open = this.#open
    if (open === undefined) return false
    if (body.kind === 'CollectiveKeySignature') {
      return open.signatures.get(body.body.signer.toLowerCase() as Address)?.keyHash === body.body.keyHash
    }
    return open.run.holds(body)
  }

  /** The round this node runs for an epoch: gossip ignores older rounds. */
  currentRound(epoch: number): number | undefined {
    if (this.#reshare.sets(epoch) !== undefined) return this.#reshare.currentRound(epoch)
    const open = this.#open
    return open?.committee.epoch === epoch ? open.run.instance.round : undefined
  }

  /** A body of the current epoch's reshare: a round of the reshare range, or a signature on the key it hands over. */
  #isReshare(body: DkgGossipBody): boolean {
    const sets = this.#epoch === undefined ? undefined : this.#reshare.sets(this.#epoch)
    if (sets === undefined) return false
    return body.kind === 'CollectiveKeySignature'
      ? body.body.keyHash === sets.keyHash
      : body.body.instance.round >= RESHARE_ROUND_BASE
  }

  /** An accepted message from the topic. */
  deliver(body: DkgGossipBody): void {
    if (this.#isReshare(body)) {
      this.#reshare.deliver(body)
      this.#schedule()
      return
    }
    const open = this.#open
    if (body.kind === 'CollectiveKeySignature') {
      if (open && body.body.key.instance.epoch === open.committee.epoch) {
        open.signatures.set(body.body.signer.toLowerCase() as Address, body.body)
        this.#schedule()
      }
      return
    }
    const { instance } = body.body
    if (open === undefined || instance.epoch !== open.committee.epoch) return
    if (instance.round > open.run.instance.round && open.run.keyHash === undefined) {
      // Peers moved on to a later round (ours failed later, or we restarted behind): follow them once
      // f + 1 members are there, at least one of them honest; one member alone cannot move us.
      const signers = open.later.get(instance.round) ?? new Set<Address>()
      signers.add(body.body.signer.toLowerCase() as Address)
      open.later.set(instance.round, signers)
      const f = Math.floor((open.committee.members.length - 1) / 3)
      if (signers.size >= f + 1)
        void this.#journal.setRound(instance.epoch, instance.round).then(() => this.#schedule())
      return
    }
    if (instance.instanceId !== open.run.instance.instanceId) return
    open.run.receive(body)
    this.#schedule()
  }

  /** What GET /v1/committee[/:epoch] answers; undefined when the epoch has no set. */
  async info(epoch?: number): Promise<CommitteeInfo | undefined> {
    const number = epoch ?? (await this.#init.chain.currentEpoch())
    const committee = await this.committee(number)
    if (committee === undefined) return undefined
    const record = await this.#init.keyring.keyOfEpoch(number)
    const open = this.#open?.committee.epoch === number ? this.#open : undefined
    const registered =
      record !== undefined && (await this.#init.committeeChain.committeeKeyHash(number)) === record.keyHash
    const status: DkgStatus =
      record !== undefined ? (registered ? 'done' : 'signing') : open ? open.run.status : 'idle'
    return {
      epoch: number,
      members: [...committee.members],
      threshold: bftCommittee(committee.members.length).t,
      keyHash: record?.keyHash ?? null,
      key: record?.key ?? null,
      registered,
      dkg: {
        status,
        round: open?.run.instance.round ?? (await this.#journal.round(number)),
        instanceId: open?.run.instance.instanceId ?? record?.key.instance.instanceId ?? null,
        excluded: open?.run.excluded ?? [],
      },
    }
  }

  /** Queues one tick after the running one; a tick already waiting covers any further call (a slow RPC must not pile them up). */
  #schedule(): void {
    if (this.#stopped || this.#queued) return
    this.#queued = true
    this.#ticking = this.#ticking.then(() => {
      this.#queued = false
      return this.#tick().catch((err: unknown) => this.#log.warn({ err }, 'DKG tick failed'))
    })
  }

  async #tick(): Promise<void> {
    if (this.#stopped || this.#seed === undefined || this.#basis === undefined) return
    const network = this.#init.network()
    if (network === undefined) return
    const epoch = await this.#init.chain.currentEpoch()
    this.#epoch = epoch
    const committee = await this.committee(epoch)
    // The previous epoch's committee holds a key: this epoch gets it by a reshare, not a fresh DKG.
    const previous = committee === undefined ? undefined : await this.#reshare.previousKey(epoch)
    if (committee !== undefined && previous !== undefined) {
      this.#open = undefined
      await this.#reshare.tick(epoch, committee, previous)
      return
    }
    if (committee === undefined || !committee.members.includes(this.#init.self.toLowerCase() as Address)) {
      this.#open = undefined
      return
    }
    // A key formed before a restart belongs to its round; a later journal round is a retry after it.
    const record = await this.#init.keyring.keyOfEpoch(epoch)
    if (record !== undefined && this.#open === undefined) {
      // A key this node holds but did not form by this DKG (given to it, or handed over by a reshare)
      // and that the chain registered: it has nothing to re-send, and running the instance would
      // form a second key for the epoch.
      const journal = await this.#journal.load(record.key.instance.instanceId)
      if (
        journal.sent.length === 0 &&
        (await this.#init.committeeChain.committeeKeyHash(epoch)) === record.keyHash
      )
        return
    }
    const journalRound = await this.#journal.round(epoch)
    const round =
      record !== undefined && record.key.instance.round >= journalRound
        ? record.key.instance.round
        : journalRound
    let open = this.#open
    if (open === undefined || open.committee.epoch !== epoch || open.run.instance.round !== round) {
      open = await this.#openRun(committee, round, open)
      this.#open = open
    }
    const { run } = open
    await run.advance()
    if (run.failed !== undefined) {
      await this.#journal.setRound(epoch, run.instance.round + 1)
      return
    }
    if (run.keyHash !== undefined) await this.#register(open, run.keyHash)
  }

  async #openRun(committee: EpochCommittee, round: number, previous: Open | undefined): Promise<Open> {
    const instance = dkgInstance(committee.epoch, committee.setHash, round)
    const run = await DkgRun.open({
      basis: this.#basis!,
      profile: this.#init.profile ?? DEFAULT_PROFILE,
      galoisElements: this.#galois,
      domain: this.#init.domain,
      anchorDomain: this.#init.anchorDomain,
      validatorKey: this.#init.validatorKey,
      seed: this.#seed!,
      instance,
      members: committee.members,
      self: this.#init.self,
      journal: this.#journal,
      blobs: this.#blobs(),
      keyring: this.#init.keyring,
      publish: (body) => this.#publish(body, 0),
      timing: this.#timing,
      now: Date.now,
      corruptShareTo: this.#init.corruptShareTo,
      log: this.#log,
    })
    // The ids of what it signed before (a restart): the very bodies the re-sends carry, never re-made.
    this.#log.info(
      { epoch: committee.epoch, round, member: run.index, stored: run.sent.map(dkgBodyId) },
      'DKG instance open',
    )
    const signatures =
      previous?.committee.epoch === committee.epoch
        ? previous.signatures
        : new Map<Address, CollectiveKeySignature>()
    for (const body of run.sent)
      if (body.kind === 'CollectiveKeySignature')
        signatures.set(this.#init.self.toLowerCase() as Address, body.body)
    return {
      committee,
      run,
      signatures,
      quorumAt: undefined,
      keyAt: undefined,
      registered: false,
      later: new Map(),
    }
  }

  /** The node's blob store, and the network behind it for blobs peers hold. */
  #blobs(): DkgBlobs {
    return {
      get: (id) => this.#init.store.blobs.get(id),
      put: async (bytes) => {
        const id = blobIdOf(bytes)
        await this.#init.store.blobs.put(id, bytes)
        return id
      },
      fetch: async (id) => {
        const held = await this.#init.store.blobs.get(id)
        if (held !== undefined) return held
        const network = this.#init.network()
        if (network === undefined)
          throw new ThresholdNodeError('BLOB_UNAVAILABLE', `no network to fetch ${id}`)
        const bytes = await network.fetchBlob(id)
        await this.#init.store.blobs.put(id, bytes)
        return bytes
      },
    }
  }

  async #publish(body: DkgGossipBody, resend: number): Promise<void> {
    await this.#init.network()?.publish({ version: 1, resend, message: body })
  }

  /**
   * Re-sends what this member signed, as stored, in a fresh envelope (gossip ids are content
   * hashes): a peer that restarted or missed a message gets it again. Stops once the key is
   * registered and every member's signature is in (every member then holds the key).
   */
  async #resendAll(): Promise<void> {
    if (this.#stopped) return
    if (this.#epoch !== undefined && this.#reshare.sets(this.#epoch) !== undefined) {
      this.#resend = (this.#resend % 999_999) + 1
      await this.#reshare.resend(this.#resend)
      return
    }
    const open = this.#open
    if (open === undefined || this.#stopped || open.run.failed !== undefined) return
    const everyoneSigned = open.committee.members.every((m) => open.signatures.has(m))
    if (open.registered && everyoneSigned) return
    this.#resend = (this.#resend % 999_999) + 1
    for (const body of open.run.sent) await this.#publish(body, this.#resend).catch(() => undefined)
  }

  async #register(open: Open, keyHash: Hex32): Promise<void> {
    const now = Date.now()
    open.keyAt ??= now
    const { epoch } = open.committee
    if (!open.registered) {
      const onChain = await this.#init.committeeChain.committeeKeyHash(epoch)
      if (onChain !== undefined) {
        open.registered = onChain === keyHash
        if (!open.registered)
          this.#log.error({ epoch, onChain, ours: keyHash }, 'another committee key is registered')
        else this.#log.info({ epoch, keyHash }, 'committee key registered on chain')
        return
      }
    } else return
    const matching = [...open.signatures.values()].filter((s) => s.keyHash === keyHash)
    if (
      !hasQuorum(
        open.committee,
        matching.map((s) => s.signer),
      )
    ) {
      if (now - open.keyAt > this.#timing.signMs) {
        this.#log.warn({ epoch, signers: matching.length }, 'no quorum of signatures on our key; next round')
        await this.#journal.setRound(epoch, open.run.instance.round + 1)
      }
      return
    }
    open.quorumAt ??= now
    // lowest index first; each later member takes over after its delay
    const position = open.committee.members.indexOf(this.#init.self.toLowerCase() as Address)
    if (now - open.quorumAt < position * this.#timing.takeoverMs) return
    const outcome = await this.#init.committeeChain.registerCommitteeKey({
      epoch,
      keyHash,
      validatorSet: open.committee.words,
      signatures: matching.map((s) => ({ validator: s.signer, signature: s.signature })),
    })
    this.#log.info({ epoch, keyHash, outcome }, 'registerCommitteeKey')
  }
}
