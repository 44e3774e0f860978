import { beforeAll, describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  blobIdOf,
  type ContributionUpload,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  signContribution,
  signPoolBan,
  toHex,
  ZERO_HASH,
} from '../../protocol/index.ts'
import {
  Contributor,
  contributionBytes,
  type HeContext,
  heContext,
  poolLayoutOf,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { testPool } from '../../sandbox/testing/pool.ts'
import { testCommittee } from '../../sandbox/testing/threshold-committee.ts'
import { contributionGossip } from '../gossip/contribution.ts'
import { Ledger } from '../jobs/ledger.ts'
import { ContributionChecks } from './contribution-checks.ts'
import { ContributionIntake } from './intake.ts'
import { PendingContributions } from './pending.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const keyHash = `0x${'c0'.repeat(32)}` as Hex32
const curatorKey = generatePrivateKey()

let ctx: HeContext
let pool: VaultManifest
let contributor: Contributor

beforeAll(async () => {
  ctx = await heContext('ckks-8192')
  const committee = testCommittee(ctx, 4, 'intake')
  pool = testPool({
    publicKey: committee.publicKey,
    keyHash,
    curator: addressOfPrivateKey(curatorKey),
    maxRecords: 3,
    perWindow: 2,
    windowBlocks: 100,
  })
  contributor = new Contributor(ctx, poolLayoutOf(pool), { id: keyHash, publicKey: committee.publicKey })
})

function node() {
  const pending = new PendingContributions()
  const stored = new Map<Hex32, Uint8Array>()
  let sealChecks = 0
  const checks = new ContributionChecks(async () => {
    sealChecks++
    return ctx
  })
  let lookups = 0
  const ledger = new Ledger(ZERO_HASH)
  const intake = new ContributionIntake({
    domain,
    ledger,
    manifest: async (id) => {
      lookups++
      if (id !== pool.vaultId) throw new RangeError(`no vault ${id}`)
      return pool
    },
    cached: (id) => (id === pool.vaultId ? pool : undefined),
    checks,
    pending,
    putBlob: async (id, bytes) => void stored.set(id, bytes),
  })
  return {
    intake,
    ledger,
    pending,
    stored,
    gossip: contributionGossip({ intake }),
    sealChecks: () => sealChecks,
    lookups: () => lookups,
  }
}

function upload(
  key: Hex32,
  sequence: number,
  bytes: Uint8Array,
  blobId = blobIdOf(bytes),
): ContributionUpload {
  const claim = signContribution(domain, key, {
    version: 1,
    poolId: pool.vaultId as Hex32,
    contributor: addressOfPrivateKey(key),
    window: 0,
    sequence,
    blobId,
  })
  return { version: 1, claim, bytes: toHex(bytes) }
}

describe('contribution intake (API and gossip)', () => {
  it('a spammer past its bound costs no HE work: the bound counts the claims already waiting', async () => {
    const { intake, pending, gossip, sealChecks } = node()
    const key = generatePrivateKey()
    for (const sequence of [0, 1]) {
      const u = upload(key, sequence, contributor.encrypt([{ cell: 'c0', hour: 3, speed: 40 }]))
      expect(await gossip.validate(u)).toBe('accept')
      expect(await intake.keep(u)).toBe(true)
    }
    expect(pending.size).toBe(2)
    const checked = sealChecks()
    // Right length, garbage inside: if it reached SEAL it would be MALFORMED.
    const junk = new Uint8Array(contributionBytes(ctx)).fill(7)
    const flood = await Promise.all([2, 3, 4, 5].map((s) => intake.judge(upload(key, s, junk))))
    expect(flood.map((v) => (v.ok ? 'ok' : v.code))).toEqual([
      'OVER_BOUND',
      'OVER_BOUND',
      'OVER_BOUND',
      'OVER_BOUND',
    ])
    expect(sealChecks()).toBe(checked)
    // Over the bound is only this node's view (another's log may differ): ignored, not punished.
    expect(await gossip.validate(upload(key, 6, junk))).toBe('ignore')
  })

  it("forged, mismatched and malformed contributions are the sender's fault: rejected, nothing stored", async () => {
    const { intake, stored, pending, gossip, lookups } = node()
    const key = generatePrivateKey()
    const good = contributor.encrypt([{ cell: 'c1', hour: 13, speed: 50 }])
    /** A claim on these bytes for a pool no one knows. */
    const elsewhere = (sequence: number) =>
      signContribution(domain, key, {
        version: 1,
        poolId: `0x${'99'.repeat(32)}`,
        contributor: addressOfPrivateKey(key),
        window: 0,
        sequence,
        blobId: blobIdOf(good),
      })
    const forged = upload(key, 0, good)
    forged.claim.contribution.contributor = addressOfPrivateKey(generatePrivateKey())
    const cases: Array<[string, ContributionUpload]> = [
      ['BAD_SIGNATURE', forged],
      ['BLOB_MISMATCH', upload(key, 0, good, `0x${'ab'.repeat(32)}`)],
      ['MALFORMED', upload(key, 0, new Uint8Array(contributionBytes(ctx)).fill(7))],
      ['SIZE_INVALID', upload(key, 0, good.subarray(0, 1000))],
    ]
    for (const [code, u] of cases) {
      const verdict = await intake.judge(u)
      expect(verdict.ok ? 'ok' : verdict.code, code).toBe(code)
      expect(await gossip.validate(u), code).toBe('reject')
    }
    expect(stored.size).toBe(0)
    expect(pending.size).toBe(0)
    const unknown = await intake.judge({
      ...upload(key, 0, good),
      claim: elsewhere(0),
    })
    expect(unknown.ok ? 'ok' : unknown.code).toBe('POOL_UNKNOWN')
    // A flood naming the same made-up pool: one lookup, not one per claim.
    const before = lookups()
    const again = await intake.judge({
      ...upload(key, 1, good),
      claim: elsewhere(1),
    })
    expect(again.ok ? 'ok' : again.code).toBe('POOL_UNKNOWN')
    expect(lookups()).toBe(before)
  })

  it("a curator's ban is taken; a ban signed by anyone else is rejected", async () => {
    const { intake } = node()
    const target = addressOfPrivateKey(generatePrivateKey())
    const fields = { poolId: pool.vaultId as Hex32, contributor: target }
    expect(await intake.judgeBan(signPoolBan(domain, curatorKey, fields))).toEqual({ ok: true })
    const forged = await intake.judgeBan(signPoolBan(domain, generatePrivateKey(), fields))
    expect(forged.ok ? 'ok' : [forged.code, forged.senderFault]).toEqual(['BAD_SIGNATURE', true])
  })

  it('a claim that lost the race for its bound leaves the queue once the log holds the bound', async () => {
    const { intake, pending, ledger } = node()
    const key = generatePrivateKey()
    const claims = [0, 1, 2].map((sequence) =>
      upload(key, sequence, contributor.encrypt([{ cell: 'c2', hour: 1, speed: 9 }])),
    )
    for (const u of claims.slice(0, 2)) expect(await intake.keep(u)).toBe(true)
    // A third, accepted by another node before it saw these two, arrives by gossip: kept there too.
    pending.add(claims[2]!.claim)
    const admitted = { height: 1, contributions: [claims[0]!.claim, claims[1]!.claim] }
    ledger.pools.apply(admitted)
    pending.forget(admitted, (c) => intake.stale(c, 2))
    expect(pending.size).toBe(0)
  })
})
