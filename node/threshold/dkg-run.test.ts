import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Address,
  addressOfPrivateKey,
  collectiveKeyHash,
  DKG_BODY_CODECS,
  type DkgGossipBody,
  dkgInstance,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  type MessageCodec,
  signDkgMessage,
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
import { epochCommittee } from './committee-set.ts'
import { dkgJournalStore } from './dkg-journal.ts'
import { DkgRun } from './dkg-run.ts'
import { createKeyring, type HeldShare } from './keyring.ts'
import { pumpRuns, storeBlobs } from './testing/in-process.ts'
import { thresholdOpen } from './testing/threshold-open.ts'

/**
 * Four members run one DKG instance in one process: real SEAL, real LevelDB stores, real
 * signatures, messages handed from run to run as the gossip topic would (any order, re-sent).
 * The multi-daemon test (test/dkg.test.ts) runs the same over libp2p and the chain.
 */
const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const anchorDomain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'22'.repeat(20)}` }
const keys = Array.from({ length: 4 }, generatePrivateKey)
const set = keys.map((k) => ({ address: addressOfPrivateKey(k), stake: 10n ** 18n }))
const committee = epochCommittee(1, set)
const log = pino({ level: process.env.TCF_TEST_LOG ?? 'silent' })
const encode = (b: DkgGossipBody) => (DKG_BODY_CODECS[b.kind] as MessageCodec<unknown>).encode(b.body)

let ctx: HeContext
let basis: RnsBasis
let galois: number[]
let dir: string
const stores: NodeStore[] = []

beforeAll(async () => {
  ctx = await heContext('ckks-8192')
  basis = rnsBasis(ctx)
  // fewer elements than a profile's twelve keep the unit test short; the daemons run all of them
  galois = rotateAndSumSteps(ctx.profile.slotCount)
    .slice(0, 2)
    .map((s) => galoisElement(basis.n, s))
  dir = await mkdtemp(join(tmpdir(), 'tcf-dkg-run-'))
}, 60_000)

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  await rm(dir, { recursive: true, force: true })
})

async function openStore(name: string): Promise<NodeStore> {
  const store = createNodeStore({ dir: join(dir, name) })
  await store.open()
  stores.push(store)
  return store
}

interface Member {
  readonly index: number
  readonly store: NodeStore
  readonly seed: Uint8Array
  run: DkgRun
  published: DkgGossipBody[]
}

/** Opens (or reopens, after a "restart") member i's run of the instance. */
async function openRun(
  m: Pick<Member, 'index' | 'store' | 'seed'>,
  round: number,
  all: Member[],
  corruptShareTo?: number,
  dealMs = 60_000,
): Promise<{ run: DkgRun; published: DkgGossipBody[] }> {
  const published: DkgGossipBody[] = []
  const run = await DkgRun.open({
    basis,
    profile: 'ckks-8192',
    galoisElements: galois,
    domain,
    anchorDomain,
    validatorKey: keys[m.index - 1]!,
    seed: m.seed,
    instance: dkgInstance(committee.epoch, committee.setHash, round),
    members: committee.members,
    self: committee.members[m.index - 1]! as Address,
    journal: dkgJournalStore(m.store),
    blobs: storeBlobs(m.store, () => all.map((o) => o.store)),
    keyring: createKeyring(m.store),
    publish: async (body) => {
      published.push(body)
    },
    timing: { dealMs, complaintWindowMs: 300, keygenMs: 300_000 },
    now: Date.now,
    corruptShareTo,
    log: log.child({ member: m.index }),
  })
  return { run, published }
}

async function committeeOf(
  tag: string,
  round: number,
  corrupt?: { dealer: number; to: number },
  dealMs?: number,
) {
  const members: Member[] = []
  for (let i = 1; i <= 4; i++) {
    const store = await openStore(`${tag}-${i}`)
    const seed = new Uint8Array(32).fill(i + round * 16)
    members.push({ index: i, store, seed, run: undefined as unknown as DkgRun, published: [] })
  }
  for (const m of members) {
    const { run, published } = await openRun(
      m,
      round,
      members,
      corrupt?.dealer === m.index ? corrupt.to : undefined,
      dealMs,
    )
    m.run = run
    m.published = published
  }
  return members
}

const pump = (members: Member[], until: () => boolean, maxRounds?: number) =>
  pumpRuns(() => members.map((m) => m.run), until, maxRounds)

async function heldShares(members: Member[], keyHash: Hex32): Promise<Map<number, HeldShare>> {
  const held = new Map<number, HeldShare>()
  for (const m of members) held.set(m.index, (await createKeyring(m.store).getShare(keyHash))!)
  return held
}

describe('one DKG instance among four members', () => {
  it('forms one collective key every member holds, and 3 of 4 shares open what it encrypts while 2 give noise', async () => {
    const members = await committeeOf('honest', 0)
    await pump(members, () => members.every((m) => m.run.keyHash !== undefined))
    const hashes = new Set(members.map((m) => m.run.keyHash))
    expect(hashes.size).toBe(1)
    const keyHash = [...hashes][0]!
    const record = (await createKeyring(members[0]!.store).keyOfEpoch(1))!
    expect(record.keyHash).toBe(keyHash)
    expect(collectiveKeyHash(record.key)).toBe(keyHash)
    expect(record.key.qualified).toEqual([1, 2, 3, 4])
    expect(record.threshold).toBe(3)

    const publicKey = (await members[2]!.store.blobs.get(record.key.publicKey.blobId))!
    const values = Array.from({ length: 64 }, (_, i) => Math.sin(i) * 50)
    const ciphertext = encryptUnder(ctx, publicKey, values)
    const held = await heldShares(members, keyHash)
    const t = { n: 4, t: 3 }
    const opened = thresholdOpen(ctx, basis, t, held, ciphertext, [1, 3, 4])
    const error = maxAbsDiff(opened, values, values.length)
    console.log(`3-of-4 opening: max error ${error.toExponential(2)} over ${values.length} slots`)
    expect(error).toBeLessThan(0.5)
    const two = thresholdOpen(ctx, basis, t, held, ciphertext, [1, 3, 4], [1, 3])
    expect(maxAbsDiff(two, values, values.length)).toBeGreaterThan(1e3)
  }, 300_000)

  it('a restarted member re-sends its stored messages byte for byte and the key still forms', async () => {
    const members = await committeeOf('restart', 1)
    // run until member 2 has dealt and committed to some keygen shares, then "restart" it
    await pump(members, () => members[1]!.run.sent.some((b) => b.kind === 'DkgRoundShare'))
    const before = members[1]!.run.sent.map(encode)
    const reopened = await openRun(members[1]!, 1, members)
    const after = reopened.run.sent.map(encode)
    expect(after.length).toBe(before.length)
    after.forEach((bytes, k) => {
      expect(Buffer.from(bytes).equals(before[k]!)).toBe(true)
    })
    members[1]!.run = reopened.run
    await pump(members, () => members.every((m) => m.run.keyHash !== undefined))
    expect(new Set(members.map((m) => m.run.keyHash)).size).toBe(1)
    // what it signed after the restart extends what it had signed, and repeats none of it differently
    const final = reopened.run.sent.map(encode)
    before.forEach((bytes, k) => {
      expect(Buffer.from(final[k]!).equals(bytes)).toBe(true)
    })
  }, 300_000)

  it('a dealer that deals one member a bad share is named by a complaint, excluded, and the key forms without it', async () => {
    const members = await committeeOf('byzantine', 2, { dealer: 4, to: 2 })
    await pump(members, () => members.every((m) => m.run.keyHash !== undefined || m.run.failed !== undefined))
    const complaints = members[1]!.run.sent.filter((b) => b.kind === 'DkgComplaint')
    expect(complaints).toHaveLength(1)
    expect(complaints[0]!.kind === 'DkgComplaint' && complaints[0]!.body.accused).toBe(4)
    for (const m of members) expect(m.run.failed).toBeUndefined()
    expect(new Set(members.map((m) => m.run.keyHash)).size).toBe(1)
    const keyHash = members[0]!.run.keyHash!
    const record = (await createKeyring(members[0]!.store).getKey(keyHash))!
    expect(record.key.qualified).toEqual([1, 2, 3])
    for (const m of members) expect(m.run.excluded).toEqual([4])
    const publicKey = (await members[0]!.store.blobs.get(record.key.publicKey.blobId))!
    const values = Array.from({ length: 64 }, (_, i) => i - 30)
    const ciphertext = encryptUnder(ctx, publicKey, values)
    const held = await heldShares(members, keyHash)
    // the excluded dealer still holds a share of the qualified dealers' secret, and can open with them
    for (const subset of [
      [1, 2, 3],
      [2, 3, 4],
    ]) {
      expect(
        maxAbsDiff(thresholdOpen(ctx, basis, { n: 4, t: 3 }, held, ciphertext, subset), values, 64),
      ).toBeLessThan(0.5)
    }
  }, 300_000)

  it('attack: a member re-signing its slot with other content floods every peer with new, accepted bodies', async () => {
    const members = await committeeOf('flood', 3)
    await pump(members, () => members.every((m) => m.run.sent.some((b) => b.kind === 'DkgDealing')), 20)
    const victim = members[0]!.run
    const own = members[1]!.run.sent.find((b) => b.kind === 'DkgCommitments')!
    if (own.kind !== 'DkgCommitments') throw new Error('unreachable')
    // The same dealer's slot signed again with other commitments: a held slot must not take another body.
    const again = {
      kind: 'DkgCommitments' as const,
      body: signDkgMessage<typeof own.body>(domain, 'DkgCommitments', keys[1]!, {
        version: 1,
        instance: own.body.instance,
        dealer: own.body.dealer,
        perRecipient: [...own.body.perRecipient].reverse(),
      }),
    }
    expect(victim.holds(again)).toBe(true)
    expect(victim.holds(own)).toBe(true)
  }, 120_000)

  it('attack: a dealer that signs a dealing but withholds its ciphertext blob stalls the recipient for good', async () => {
    const members = await committeeOf('withheld', 4, undefined, 3_000)
    const deliver = () => {
      for (const from of members)
        for (const body of from.run.sent) for (const to of members) if (to !== from) to.run.receive(body)
    }
    for (const m of members) await m.run.advance()
    deliver()
    const dealer = members[3]!
    await dealer.run.advance()
    const toTwo = dealer.run.sent.find((b) => b.kind === 'DkgDealing' && b.body.recipient === 2)!
    if (toTwo.kind !== 'DkgDealing') throw new Error('unreachable')
    // the dealer drops the blob from its store: no peer can ever fetch it
    await dealer.store.collect([toTwo.body.sealed.ciphertext.blobId], [])
    // Bounded by the pump's default rounds (8 s of its pauses at least), not 60: the deal deadline
    // is wall-clock time, and 60 quick rounds ended before 3 s on a busy CI machine.
    await pump(members, () => members[1]!.run.status !== 'dealing')
    // past the deal deadline the recipient decides without the dealer instead of retrying forever
    expect(members[1]!.run.status).not.toBe('dealing')
    expect(members[1]!.run.excluded).toContain(4)
  }, 300_000)
})
