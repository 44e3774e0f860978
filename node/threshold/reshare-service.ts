import type { Logger } from 'pino'
import { z } from 'zod'
import {
  type Address,
  type CollectiveKey,
  type DkgGossipBody,
  dkgInstance,
  type Eip712Domain,
  type Hex,
  type Hex32,
  verifyCommitteeKeySignature,
} from '../../protocol/index.ts'
import { bftCommittee, type RnsBasis } from '../../sandbox/index.ts'
import type { NodeStore } from '../storage/index.ts'
import { numberKey } from '../storage/keys.ts'
import { type EpochCommittee, hasQuorum } from './committee-set.ts'
import type { DkgJournalStore } from './dkg-journal.ts'
import type { DkgBlobs } from './dkg-run.ts'
import type { CommitteeChain, DkgServiceTiming } from './dkg-service.ts'
import type { CommitteeKeyRecord, Keyring } from './keyring.ts'
import { RESHARE_ROUND_BASE, ReshareRun } from './reshare-run.ts'

/** What the `dkg` topic needs to check a reshare's messages: the old set and the key handed over. */
export interface ReshareSets {
  readonly epoch: number
  readonly committee: EpochCommittee
  readonly old: EpochCommittee
  readonly keyHash: Hex32
}

export interface ReshareServiceInit {
  readonly validatorKey: Hex32
  readonly self: Address
  readonly domain: Eip712Domain
  readonly anchorDomain: Eip712Domain
  readonly committeeChain: CommitteeChain
  readonly committee: (epoch: number) => Promise<EpochCommittee | undefined>
  readonly store: Pick<NodeStore, 'getMeta' | 'putMeta'>
  readonly journal: DkgJournalStore
  readonly keyring: Keyring
  readonly blobs: DkgBlobs
  /** the member seed and the profile's basis, once the DKG service loaded them */
  readonly context: () => { seed: Uint8Array; basis: RnsBasis } | undefined
  readonly publish: (body: DkgGossipBody, resend: number) => Promise<void>
  readonly timing: DkgServiceTiming
  /** told once this node handed the key to the new epoch's holders (the block rules re-read its committee) */
  readonly onHandOver?: ((keyHash: Hex32) => void) | undefined
  /** test-only: deal a consistent sharing of a wrong value (ReshareRunInit.dealWrongValue) */
  readonly dealWrongValue?: boolean | undefined
  readonly log: Logger
}

interface Open {
  readonly sets: ReshareSets
  readonly run: ReshareRun
  quorumAt: number | undefined
}

const dealersKey = (epoch: number) => `dkg/reshare/dealers/${numberKey(epoch)}`

/**
 * The daemon's proactive reshare: when the previous epoch's committee has a key registered on the
 * Anchor, the new epoch gets that key, reshared from the old holders to the new set, instead of a
 * fresh DKG (which would leave every vault under the old key undecryptable). Every validator of
 * either set takes part: old members deal (a first round with all of them; a round that fails
 * leaves out the dealers it convicted or that stayed silent), new members verify, check, sign the
 * unchanged keyHash for the new epoch and get it registered; once the Anchor holds it for the new
 * epoch, each participant hands over (new share in, old share deleted). Driven by DkgService's
 * tick, re-sends and topic.
 */
export class ReshareService {
  readonly #init: ReshareServiceInit
  #open: Open | undefined
  #sets: ReshareSets | undefined
  /** previous epoch's key, by epoch (only found keys are cached: a registration may still come) */
  readonly #previous = new Map<number, Hex32>()
  /** key records old members announced, by keyHash (the gossip check tied them to the chain's hash) */
  readonly #announced = new Map<Hex32, CollectiveKey>()
  readonly #done = new Set<number>()

  constructor(init: ReshareServiceInit) {
    this.#init = init
  }

  /** The key the committee of `epoch − 1` registered, if any: then `epoch` reshares it. */
  async previousKey(epoch: number): Promise<Hex32 | undefined> {
    if (epoch <= 1) return undefined
    const hit = this.#previous.get(epoch)
    if (hit !== undefined) return hit
    const found = await this.#init.committeeChain.committeeKeyHash(epoch - 1)
    if (found !== undefined) this.#previous.set(epoch, found)
    return found
  }

  /** The current epoch's reshare, for the topic's checks; undefined when the epoch runs a DKG. */
  sets(epoch: number): ReshareSets | undefined {
    return this.#sets?.epoch === epoch ? this.#sets : undefined
  }

  holds(body: DkgGossipBody): boolean {
    return this.#open?.run.holds(body) ?? false
  }

  currentRound(epoch: number): number | undefined {
    const open = this.#open
    return open?.sets.epoch === epoch ? open.run.instance.round : undefined
  }

  /** A body the topic accepted for this epoch's reshare. */
  deliver(body: DkgGossipBody): void {
    const sets = this.#sets
    if (sets === undefined) return
    if (body.kind === 'CollectiveKeySignature') {
      if (body.body.keyHash !== sets.keyHash) return
      if (this.#isAnnouncement(sets, body.body.signer, body.body.signature))
        this.#announced.set(sets.keyHash, body.body.key)
    } else if (body.body.instance.instanceId !== this.#open?.run.instance.instanceId) return
    this.#open?.run.receive(body)
  }

  /** Re-sends what this node signed in the open round until it handed over. */
  async resend(counter: number): Promise<void> {
    const open = this.#open
    if (open === undefined || open.run.failed !== undefined || this.#done.has(open.sets.epoch)) return
    for (const body of open.run.sent) await this.#init.publish(body, counter).catch(() => undefined)
  }

  async tick(epoch: number, committee: EpochCommittee, keyHash: Hex32): Promise<void> {
    const context = this.#init.context()
    const old = await this.#init.committee(epoch - 1)
    if (context === undefined || old === undefined) return
    const sets: ReshareSets = { epoch, committee, old, keyHash }
    this.#sets = sets
    const self = this.#init.self.toLowerCase() as Address
    const leaving = !committee.members.includes(self)
    if (leaving && !old.members.includes(self)) {
      this.#open = undefined
      return
    }
    const { keyring } = this.#init
    if ((await keyring.keyOfEpoch(epoch))?.keyHash === keyHash) {
      // handed over (a crash between the holders and the share swap finishes the swap now)
      const next = await keyring.getNextShare(keyHash, epoch)
      if (next !== undefined || (leaving && (await keyring.getShare(keyHash)) !== undefined))
        await keyring.handOver(keyHash, epoch)
      this.#done.add(epoch)
      return
    }
    const key = await this.#keyToReshare(sets)
    if (key === undefined) return
    const round = await this.#init.journal.round(epoch)
    let open = this.#open
    if (
      open === undefined ||
      open.sets.epoch !== epoch ||
      open.run.instance.round !== RESHARE_ROUND_BASE + round
    ) {
      const dealers =
        (await this.#init.store.getMeta(dealersKey(epoch), z.array(z.int().min(1)))) ??
        old.members.map((_, k) => k + 1)
      if (dealers.length < key.threshold) {
        this.#init.log.error({ epoch, dealers }, 'reshare: fewer old members left than the threshold')
        return
      }
      const run = await ReshareRun.open({
        basis: context.basis,
        domain: this.#init.domain,
        anchorDomain: this.#init.anchorDomain,
        validatorKey: this.#init.validatorKey,
        seed: context.seed,
        key,
        instance: dkgInstance(epoch, committee.setHash, RESHARE_ROUND_BASE + round),
        dealers,
        newMembers: committee.members,
        holders: { epoch: epoch - 1, setHash: old.setHash },
        self: this.#init.self,
        journal: this.#init.journal,
        blobs: this.#init.blobs,
        keyring,
        publish: (body) => this.#init.publish(body, 0),
        timing: this.#init.timing,
        now: Date.now,
        dealWrongValue: this.#init.dealWrongValue,
        log: this.#init.log.child({ reshare: epoch }),
      })
      this.#init.log.info(
        { epoch, round, dealers, participant: run.index, newIndex: run.newIndex ?? null },
        'reshare instance open',
      )
      open = { sets, run, quorumAt: undefined }
      this.#open = open
    }
    const { run } = open
    await run.advance()
    if (run.failed !== undefined) {
      const next = (
        (await this.#init.store.getMeta(dealersKey(epoch), z.array(z.int().min(1)))) ??
        old.members.map((_, k) => k + 1)
      ).filter((d) => !run.dropped.includes(d))
      this.#init.log.warn({ epoch, reason: run.failed, next }, 'reshare round failed; next round')
      await this.#init.store.putMeta(dealersKey(epoch), next)
      await this.#init.journal.setRound(epoch, round + 1)
      return
    }
    await this.#registerOrHandOver(open)
  }

  async #registerOrHandOver(open: Open): Promise<void> {
    const { run, sets } = open
    const { epoch, committee, keyHash } = sets
    const onChain = await this.#init.committeeChain.committeeKeyHash(epoch)
    if (onChain !== undefined) {
      if (onChain !== keyHash) {
        this.#init.log.error({ epoch, onChain, ours: keyHash }, 'another committee key is registered')
        return
      }
      await run.handOver()
      this.#done.add(epoch)
      const blobBytes = run.sent.reduce(
        (sum, b) =>
          sum +
          (b.kind === 'DkgDealing'
            ? b.body.sealed.ciphertext.size
            : b.kind === 'DkgRoundShare' && b.body.phase === 'reveal'
              ? b.body.share.size
              : 0),
        0,
      )
      this.#init.log.info(
        { epoch, keyHash, newIndex: run.newIndex ?? null, signed: run.sent.length, blobBytes },
        'reshare handed over',
      )
      this.#init.onHandOver?.(keyHash)
      return
    }
    if (!run.signed || run.newIndex === undefined) return
    const signatures = [...run.signatures.values()]
    if (
      !hasQuorum(
        committee,
        signatures.map((s) => s.signer),
      )
    )
      return
    const now = Date.now()
    open.quorumAt ??= now
    const position = committee.members.indexOf(this.#init.self.toLowerCase() as Address)
    if (now - open.quorumAt < position * this.#init.timing.takeoverMs) return
    const outcome = await this.#init.committeeChain.registerCommitteeKey({
      epoch,
      keyHash,
      validatorSet: committee.words,
      signatures: signatures.map((s) => ({ validator: s.signer, signature: s.signature })),
    })
    this.#init.log.info({ epoch, keyHash, outcome }, 'registerCommitteeKey (reshared key)')
  }

  /** The key as the old committee holds it: from this node's keyring, or (a newcomer) an old member's announcement. */
  async #keyToReshare(sets: ReshareSets): Promise<CommitteeKeyRecord | undefined> {
    const held = await this.#init.keyring.keyOfEpoch(sets.epoch - 1)
    if (held?.keyHash === sets.keyHash) return held
    const key = this.#announced.get(sets.keyHash)
    if (key === undefined) return undefined
    return {
      keyHash: sets.keyHash,
      key,
      members: [...sets.old.members],
      threshold: bftCommittee(sets.old.members.length).t,
    }
  }

  #isAnnouncement(sets: ReshareSets, signer: Address, signature: Hex): boolean {
    const who = signer.toLowerCase() as Address
    return (
      sets.old.members.includes(who) &&
      verifyCommitteeKeySignature(
        this.#init.anchorDomain,
        { epoch: sets.old.epoch, setHash: sets.old.setHash, keyHash: sets.keyHash },
        signature,
        who,
      )
    )
  }
}
