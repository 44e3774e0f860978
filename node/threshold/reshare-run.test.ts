import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Address,
  addressOfPrivateKey,
  DKG_BODY_CODECS,
  type DkgGossipBody,
  dkgInstance,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  type MessageCodec,
  signCommitteeKey,
} from '../../protocol/index.ts'
import {
  galoisElement,
  type HeContext,
  heContext,
  type RnsBasis,
  rnsBasis,
  rotateAndSumSteps,
} from '../../sandbox/index.ts'
import { encryptUnder, maxAbsDiff } from '../../sandbox/testing/threshold-committee.ts'
import { createNodeStore, type NodeStore } from '../storage/index.ts'
import { epochCommittee, hasQuorum } from './committee-set.ts'
import { dkgJournalStore } from './dkg-journal.ts'
import { DkgRun } from './dkg-run.ts'
import { type CommitteeKeyRecord, createKeyring, type HeldShare } from './keyring.ts'
import { RESHARE_ROUND_BASE, ReshareRun } from './reshare-run.ts'
import { pumpRuns, storeBlobs } from './testing/in-process.ts'
import { thresholdOpen } from './testing/threshold-open.ts'

/**
 * Epoch 1's four validators form a key by the DKG; epoch 2's set replaces validator 4 by validator
 * 5. The old committee reshares to the new one in one process: real SEAL, real LevelDB stores,
 * real signatures and sealed dealings, the DKG's gossip message types handed from run to run.
 */
const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const anchorDomain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'22'.repeat(20)}` }
const keys = Array.from({ length: 5 }, generatePrivateKey)
const addresses = keys.map(addressOfPrivateKey)
const stake = 10n ** 18n
const oldSet = epochCommittee(
  1,
  [0, 1, 2, 3].map((k) => ({ address: addresses[k]!, stake })),
)
const newSet = epochCommittee(
  2,
  [0, 1, 2, 4].map((k) => ({ address: addresses[k]!, stake })),
)
const encode = (b: DkgGossipBody) => (DKG_BODY_CODECS[b.kind] as MessageCodec<unknown>).encode(b.body)
const log = pino({ level: process.env.TCF_TEST_LOG ?? 'silent' })

let ctx: HeContext
let basis: RnsBasis
let dir: string
/** validator k (0-based key index) → its node's store */
const stores: NodeStore[] = []
const seeds = keys.map((_, k) => new Uint8Array(32).fill(k + 1))
let record: CommitteeKeyRecord
let keyHash: Hex32
const values = Array.from({ length: 64 }, (_, i) => Math.sin(i) * 50)
let ciphertext: Uint8Array

beforeAll(async () => {
  ctx = await heContext('ckks-8192')
  basis = rnsBasis(ctx)
  dir = await mkdtemp(join(tmpdir(), 'tcf-reshare-run-'))
  for (let k = 0; k < 5; k++) {
    const store = createNodeStore({ dir: join(dir, `v${k + 1}`) })
    await store.open()
    stores.push(store)
  }
  const galois = rotateAndSumSteps(ctx.profile.slotCount)
    .slice(0, 1)
    .map((s) => galoisElement(basis.n, s))
  const runs: DkgRun[] = []
  for (let k = 0; k < 4; k++) {
    runs.push(
      await DkgRun.open({
        basis,
        profile: 'ckks-8192',
        galoisElements: galois,
        domain,
        anchorDomain,
        validatorKey: keys[k]!,
        seed: seeds[k]!,
        instance: dkgInstance(1, oldSet.setHash, 0),
        members: oldSet.members,
        self: addresses[k]!,
        journal: dkgJournalStore(stores[k]!),
        blobs: storeBlobs(stores[k]!, () => stores),
        keyring: createKeyring(stores[k]!),
        publish: async () => {},
        timing: { dealMs: 60_000, complaintWindowMs: 300, keygenMs: 300_000 },
        now: Date.now,
        log,
      }),
    )
  }
  await pumpRuns(
    () => runs,
    () => runs.every((r) => r.keyHash !== undefined),
  )
  record = (await createKeyring(stores[0]!).keyOfEpoch(1))!
  keyHash = record.keyHash as Hex32
  // a vault sealed under the epoch-1 key, before any reshare
  ciphertext = encryptUnder(ctx, (await stores[0]!.blobs.get(record.key.publicKey.blobId))!, values)
}, 300_000)

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  await rm(dir, { recursive: true, force: true })
})

interface Target {
  /** the key as its current holders hold it */
  readonly key: CommitteeKeyRecord
  readonly set: ReturnType<typeof epochCommittee>
  /** the validators (0-based key indices) in either set that run (one left out refuses to take part) */
  readonly validators: readonly number[]
  readonly dealMs?: number
}

/** Every validator's run of one reshare round of the key to a later epoch's set (by default epoch 1's to epoch 2's). */
async function reshareRound(
  round: number,
  dealers: number[],
  corrupt?: { dealer: number; to?: number },
  how: 'run' | 'open' | 'restart-validator-1' = 'run',
  target: Target = { key: record, set: newSet, validators: [0, 1, 2, 3, 4] },
) {
  const open = (k: number) =>
    ReshareRun.open({
      basis,
      domain,
      anchorDomain,
      validatorKey: keys[k]!,
      seed: seeds[k]!,
      key: target.key,
      instance: dkgInstance(target.set.epoch, target.set.setHash, RESHARE_ROUND_BASE + round),
      dealers,
      newMembers: target.set.members,
      self: addresses[k]!,
      journal: dkgJournalStore(stores[k]!),
      blobs: storeBlobs(stores[k]!, () => stores),
      keyring: createKeyring(stores[k]!),
      publish: async () => {},
      timing: { dealMs: target.dealMs ?? 120_000, complaintWindowMs: 300 },
      now: Date.now,
      corruptShareTo: corrupt?.dealer === k + 1 ? corrupt.to : undefined,
      dealWrongValue: corrupt?.dealer === k + 1 && corrupt.to === undefined,
      log: log.child({ validator: k + 1 }),
    })
  const runs: ReshareRun[] = []
  for (const k of target.validators) runs.push(await open(k))
  const newcomers = runs.filter((r) => r.newIndex !== undefined)
  if (how === 'open') return runs
  if (how === 'restart-validator-1') {
    // validator 1 dealt, then restarts: it re-sends what it stored, byte for byte, and carries on
    await pumpRuns(
      () => runs,
      () => runs[0]!.sent.some((b) => b.kind === 'DkgDealing'),
    )
    const before = runs[0]!.sent.map(encode)
    runs[0] = await open(0)
    const after = runs[0].sent.map(encode)
    expect(after.length).toBe(before.length)
    after.forEach((bytes, i) => {
      expect(Buffer.from(bytes).equals(before[i]!)).toBe(true)
    })
  }
  await pumpRuns(
    () => runs,
    () =>
      runs.some((r) => r.failed !== undefined) || runs.every((r) => r.signatures.size === newcomers.length),
  )
  return runs
}

/** The shares these validators' keyrings hold, by their index in the new set. */
async function sharesOf(validators: number[]): Promise<Map<number, HeldShare>> {
  const held = new Map<number, HeldShare>()
  for (const v of validators) {
    const share = await createKeyring(stores[v - 1]!).getShare(keyHash)
    if (share !== undefined) held.set(share.member, share)
  }
  return held
}

describe('proactive resharing of a committee key at an epoch change (4 validators, one replaced)', () => {
  it('a dealer whose reshare does not open its commitment is named, the round fails, and the next round without it completes (a dealer restarting re-sends identical bytes); then t new members open an old vault and old shares are gone', async () => {
    const oldShares = await sharesOf([1, 2, 3, 4])
    expect(oldShares.size).toBe(4)

    // round 0: old member 2 deals new member 4 (validator 5) a share that does not open its commitment
    const bad = await reshareRound(0, [1, 2, 3, 4], { dealer: 2, to: 4 })
    const complaints = bad[4]!.sent.filter((b) => b.kind === 'DkgComplaint')
    expect(complaints).toHaveLength(1)
    expect(complaints[0]!.kind === 'DkgComplaint' && complaints[0]!.body.accused).toBe(2)
    await pumpRuns(
      () => bad,
      () => bad.every((r) => r.failed !== undefined),
      20,
    )
    for (const r of bad) expect(r.convicted).toEqual([2])
    await expect(bad[0]!.handOver()).rejects.toThrow(/dealers 2 convicted/)

    // round 1 leaves the convicted dealer out: three old members (t = 3) deal
    const started = Date.now()
    const runs = await reshareRound(1, [1, 3, 4], undefined, 'restart-validator-1')
    const dealt = runs[0]!.sent.flatMap((b) =>
      b.kind === 'DkgDealing' ? [b.body.sealed.ciphertext.size] : [],
    )
    console.log(
      `reshare round of 5 validators in one process: ${Date.now() - started} ms; dealer 1 sealed ${dealt.length} shares of ${dealt[0]} bytes`,
    )
    for (const r of runs) expect(r.failed).toBeUndefined()
    const signatures = [...runs[0]!.signatures.values()]
    expect(new Set(signatures.map((s) => s.keyHash))).toEqual(new Set([keyHash]))
    expect(
      hasQuorum(
        newSet,
        signatures.map((s) => s.signer as Address),
      ),
    ).toBe(true)
    // attack: a signature "by" a new member (validator 2), made with another key, must not count toward the quorum
    const watcher = (await reshareRound(1, [1, 3, 4], undefined, 'open'))[4]!
    const forger = generatePrivateKey()
    watcher.receive({
      kind: 'CollectiveKeySignature',
      body: {
        ...signatures[0]!,
        signer: addresses[1]!,
        signature: signCommitteeKey(anchorDomain, forger, { epoch: 2, setHash: newSet.setHash, keyHash }),
      },
    })
    // validator 5 reopened its round: it holds its own signature from its journal, and only that
    expect([...watcher.signatures.keys()]).toEqual([addresses[4]!.toLowerCase()])
    // ... registration of keyHash for epoch 2 happens here on chain; then every node hands over
    for (const r of runs) await r.handOver()

    const held = await sharesOf([1, 2, 3, 4, 5])
    expect([...held.keys()].sort()).toEqual([1, 2, 3, 4])
    // the leaving validator deleted its share; the others replaced theirs
    expect(await createKeyring(stores[3]!).getShare(keyHash)).toBeUndefined()
    for (const v of [1, 2, 3]) expect(held.get(v)!.share).not.toBe(oldShares.get(v)!.share)
    const epoch2 = (await createKeyring(stores[4]!).keyOfEpoch(2))!
    expect(epoch2.keyHash).toBe(keyHash)
    expect(epoch2.members).toEqual(newSet.members)
    expect(epoch2.threshold).toBe(3)
    const epoch1 = (await createKeyring(stores[0]!).keyOfEpoch(1))!
    expect(epoch1.members).toEqual(oldSet.members)

    const t = { n: 4, t: 3 }
    for (const subset of [
      [1, 2, 4],
      [2, 3, 4],
      [1, 2, 3],
    ]) {
      const error = maxAbsDiff(thresholdOpen(ctx, basis, t, held, ciphertext, subset), values, values.length)
      console.log(
        `reshared ${subset.join(',')} opening of the epoch-1 vault: max error ${error.toExponential(2)}`,
      )
      expect(error).toBeLessThan(0.5)
    }
    // two new shares are noise
    const two = thresholdOpen(ctx, basis, t, held, ciphertext, [1, 2, 4], [1, 2])
    expect(maxAbsDiff(two, values, values.length)).toBeGreaterThan(1e3)
    // a mix of old and new shares opens nothing: old members 1 and 2 with the newcomer's share
    const mixed = new Map([
      [1, oldShares.get(1)!],
      [2, oldShares.get(2)!],
      [4, held.get(4)!],
    ])
    const mixedError = maxAbsDiff(
      thresholdOpen(ctx, basis, t, mixed, ciphertext, [1, 2, 4]),
      values,
      values.length,
    )
    console.log(`old 1,2 + new 4: max error ${mixedError.toExponential(2)}`)
    expect(mixedError).toBeGreaterThan(1e3)
  }, 600_000)

  // The attack test (it.fails before the check: every new member signed and t new shares opened
  // nothing, max error 6.46e+31) is the regression now: the known-answer check catches the dealer.
  it('attack: an old dealer that deals a consistent sharing of a wrong value is named by the check, hand-over refuses, and the next round without it opens the old vault', async () => {
    // epoch 2's holders (validators 1, 2, 3, 5 at points 1–4) reshare to epoch 3's set (the same validators)
    const epoch2 = (await createKeyring(stores[4]!).keyOfEpoch(2))!
    const epoch3 = epochCommittee(
      3,
      [0, 1, 2, 4].map((k) => ({ address: addresses[k]!, stake })),
    )
    const target: Target = { key: epoch2, set: epoch3, validators: [0, 1, 2, 4] }
    const before = await sharesOf([1, 2, 3, 5])
    const bad = await reshareRound(0, [1, 2, 3, 4], { dealer: 3 }, 'run', target)
    await pumpRuns(
      () => bad,
      () => bad.every((r) => r.failed !== undefined),
      100,
    )
    for (const r of bad) {
      console.log(`wrong-value reshare, participant ${r.index}: ${r.failed}`)
      expect(r.failed).toMatch(/reshare check: .* without dealers 3, convicted/)
      expect(r.convicted).toEqual([3])
    }
    await expect(bad[0]!.handOver()).rejects.toThrow(/reshare check/)

    const runs = await reshareRound(1, [1, 2, 4], undefined, 'run', target)
    for (const r of runs) expect(r.failed).toBeUndefined()
    for (const r of runs) await r.handOver()
    const held = await sharesOf([1, 2, 3, 5])
    for (const j of [1, 2, 3, 4]) expect(held.get(j)!.share).not.toBe(before.get(j)!.share)
    for (const subset of [
      [1, 2, 4],
      [2, 3, 4],
    ]) {
      const error = maxAbsDiff(
        thresholdOpen(ctx, basis, { n: 4, t: 3 }, held, ciphertext, subset),
        values,
        values.length,
      )
      console.log(
        `epoch-3 ${subset.join(',')} opening of the epoch-1 vault: max error ${error.toExponential(2)}`,
      )
      expect(error).toBeLessThan(0.5)
    }
  }, 300_000)

  it('an old member who refuses to reshare is named at the deal deadline, and the next round goes on with t old members and t new signatures', async () => {
    // epoch 3's holders (validators 1, 2, 3, 5) reshare to epoch 4's (the same); validator 2 runs nothing
    const epoch3 = (await createKeyring(stores[4]!).keyOfEpoch(3))!
    const epoch4 = epochCommittee(
      4,
      [0, 1, 2, 4].map((k) => ({ address: addressOfPrivateKey(keys[k]!), stake })),
    )
    const target: Target = { key: epoch3, set: epoch4, validators: [0, 2, 4], dealMs: 4_000 }
    const stalled = await reshareRound(0, [1, 2, 3, 4], undefined, 'run', target)
    await pumpRuns(
      () => stalled,
      () => stalled.every((r) => r.failed !== undefined),
      200,
    )
    for (const r of stalled) {
      expect(r.failed).toMatch(/no verified share from dealers 2 /)
      expect(r.dropped).toEqual([2])
    }
    const runs = await reshareRound(1, [1, 3, 4], undefined, 'run', { ...target, dealMs: 120_000 })
    for (const r of runs) expect(r.failed).toBeUndefined()
    expect(hasQuorum(epoch4, [...runs[0]!.signatures.keys()])).toBe(true)
  }, 300_000)
})
