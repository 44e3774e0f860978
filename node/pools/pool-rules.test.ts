import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ValidatorSet } from '../../consensus/index.ts'
import {
  type Address,
  addressOfPrivateKey,
  type Block,
  blobIdOf,
  blockHash,
  type Contribution,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  type SignedContribution,
  signContribution,
  signJobRequest,
  signPoolBan,
  specHash,
  ZERO_HASH,
} from '../../protocol/index.ts'
import {
  Contributor,
  DEFAULT_LIMITS,
  type HeContext,
  heContext,
  poolLayoutOf,
  readManifest,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { testPool } from '../../sandbox/testing/pool.ts'
import { REGRESSION_VAULT } from '../../sandbox/testing/regression.ts'
import { type TestCommittee, testCommittee } from '../../sandbox/testing/threshold-committee.ts'
import { AttestationPool } from '../jobs/attestation-pool.ts'
import { buildBlock, validateBlock } from '../jobs/block.ts'
import { DEFAULT_ESCROW_TERMS, noChainFacts } from '../jobs/chain-facts.ts'
import { Ledger } from '../jobs/ledger.ts'
import { checkAdmission, type RuleContext } from '../jobs/rules.ts'
import { ContributionChecks } from './contribution-checks.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const validatorKeys = Array.from({ length: 4 }, generatePrivateKey)
const validators = new ValidatorSet(validatorKeys.map((k) => ({ address: addressOfPrivateKey(k), power: 1 })))
const proposer = addressOfPrivateKey(validatorKeys[0]!)
const curatorKey = generatePrivateKey()
const keyHash = `0x${'c0'.repeat(32)}` as Hex32
const WINDOW = 10

let ctx: HeContext
let committee: TestCommittee
let pool: VaultManifest
let otherPool: VaultManifest
let plainVault: VaultManifest
let contributor: Contributor
let otherContributor: Contributor
let checks: ContributionChecks
const contributors = Array.from({ length: 4 }, generatePrivateKey)

function makePool(maxRecords: number, keyHolderHash = keyHash): VaultManifest {
  return testPool({
    publicKey: committee.publicKey,
    keyHash: keyHolderHash,
    curator: addressOfPrivateKey(curatorKey),
    maxRecords,
    perWindow: 2,
    windowBlocks: WINDOW,
  })
}

beforeAll(async () => {
  ctx = await heContext('ckks-8192')
  committee = testCommittee(ctx, 4, 'pool-rules')
  pool = makePool(3)
  otherPool = makePool(4)
  plainVault = await readManifest(REGRESSION_VAULT)
  contributor = new Contributor(ctx, poolLayoutOf(pool), { id: keyHash, publicKey: committee.publicKey })
  otherContributor = new Contributor(ctx, poolLayoutOf(otherPool), {
    id: keyHash,
    publicKey: committee.publicKey,
  })
  checks = new ContributionChecks(async () => ctx)
})
afterAll(() => {
  contributor?.delete()
  otherContributor?.delete()
})

const manifests = () => new Map([pool, otherPool, plainVault].map((m) => [m.vaultId, m]))

function context(ledger: Ledger, height: number): RuleContext {
  const known = manifests()
  return {
    height,
    validators,
    ledger,
    domain,
    manifest: (id) => known.get(id),
    chain: noChainFacts(0),
    escrowTerms: DEFAULT_ESCROW_TERMS,
    limits: DEFAULT_LIMITS,
    contributionBytes: (poolId, blobId) => checks.verdict(poolId, blobId),
  }
}
const frame = (ledger: Ledger, height: number) => ({
  height,
  epoch: 1,
  parentHash: ledger.headHash,
  chainBlock: 0,
})

const day = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ cell: `c${i % 3}`, hour: (i * 7) % 24, speed: 30 + i }))

/** A signed claim on real bytes, checked by `checks` as a node does on receipt. */
async function contribution(
  key: Hex32,
  fields: Partial<Contribution> = {},
  bytes = contributor.encrypt(day(3)),
  on: VaultManifest = pool,
): Promise<SignedContribution> {
  const claim: Contribution = {
    version: 1,
    poolId: on.vaultId as Hex32,
    contributor: addressOfPrivateKey(key),
    window: 0,
    sequence: 0,
    blobId: blobIdOf(bytes),
    ...fields,
  }
  await checks.check(on, claim.blobId, bytes)
  return signContribution(domain, key, claim)
}

function blockWith(ledger: Ledger, height: number, claims: SignedContribution[]): Block {
  return {
    version: 1,
    height,
    epoch: 1,
    parentHash: ledger.headHash,
    proposer: proposer,
    chainBlock: 0,
    admitted: [],
    certified: [],
    released: [],
    failed: [],
    ...(claims.length > 0 ? { contributions: claims } : {}),
  }
}

describe('contributions admitted by consensus', () => {
  it('an honest proposer admits valid claims; the block applies to the log and a snapshot', async () => {
    const ledger = new Ledger(ZERO_HASH)
    const claims = await Promise.all(contributors.slice(0, 3).map((k) => contribution(k)))
    const block = buildBlock(context(ledger, 1), frame(ledger, 1), proposer, {
      pending: [],
      attestations: new AttestationPool(),
      releases: [],
      contributions: claims,
    })
    expect(block.contributions).toHaveLength(3)
    expect(validateBlock(context(ledger, 1), frame(ledger, 1), block)).toEqual({ ok: true })
    ledger.apply(block, blockHash(block))
    const snapshot = ledger.pools.snapshot(pool.vaultId as Hex32, 1)!
    expect(snapshot.count).toBe(3)
    expect([...snapshot.counts.values()]).toEqual([1, 1, 1])
    expect(ledger.pools.snapshot(pool.vaultId as Hex32, 0)).toBeUndefined()
    // A block without contributions has no section at all: blocks made before pools keep their hash.
    const empty = buildBlock(context(ledger, 2), frame(ledger, 2), proposer, {
      pending: [],
      attestations: new AttestationPool(),
      releases: [],
      contributions: claims,
    })
    expect('contributions' in empty).toBe(false)
    expect(validateBlock(context(ledger, 2), frame(ledger, 2), { ...empty, contributions: [] }).ok).toBe(
      false,
    )
  })

  it('a Byzantine proposer cannot include a bad claim: each is refused with its code and nothing changes', async () => {
    const ledger = new Ledger(ZERO_HASH)
    const [a, b] = contributors as [Hex32, Hex32]
    const first = await contribution(a, { sequence: 7 })
    const seed = buildBlock(context(ledger, 1), frame(ledger, 1), proposer, {
      pending: [],
      attestations: new AttestationPool(),
      releases: [],
      contributions: [first],
      poolBans: [
        signPoolBan(domain, curatorKey, {
          poolId: pool.vaultId as Hex32,
          contributor: addressOfPrivateKey(b),
        }),
      ],
    })
    expect(seed.poolBans).toHaveLength(1)
    ledger.apply(seed, blockHash(seed))
    const c = contributors[2]!
    const good = contributor.encrypt(day(2))
    const truncated = good.subarray(0, good.length - 8)
    const wrongKey = new Contributor(ctx, poolLayoutOf(pool), {
      id: `0x${'c1'.repeat(32)}`,
      publicKey: committee.publicKey,
    })
    const forged = { ...(await contribution(c)), signature: first.signature }
    const cases: Array<[string, SignedContribution]> = [
      ['BAD_SIGNATURE', forged],
      ['POOL_UNKNOWN', await contribution(c, { poolId: `0x${'99'.repeat(32)}` })],
      ['NOT_A_POOL', await contribution(c, {}, good, plainVault)],
      ['WRONG_WINDOW', await contribution(c, { window: 1 })],
      ['BANNED', await contribution(b, { sequence: 1 })],
      // the same contributor and sequence again, with other bytes
      ['REPLAYED_SEQUENCE', await contribution(a, { sequence: 7 })],
      // the same bytes under another contributor's claim, in this pool
      ['REPLAYED_BLOB', await contribution(c, { blobId: first.contribution.blobId })],
      ['WRONG_LAYOUT', await contribution(c, {}, otherContributor.encrypt(day(2)))],
      ['SIZE_INVALID', await contribution(c, {}, truncated)],
      ['WRONG_KEY', await contribution(c, {}, wrongKey.encrypt(day(2)))],
      // bytes no node checked: a proposer cannot vouch for them
      [
        'BYTES_UNAVAILABLE',
        signContribution(domain, c, {
          ...first.contribution,
          contributor: addressOfPrivateKey(c),
          blobId: `0x${'ee'.repeat(32)}`,
        }),
      ],
    ]
    const before = ledger.pools.size(pool.vaultId as Hex32)
    for (const [code, claim] of cases) {
      const block = blockWith(ledger, 2, [claim])
      const verdict = validateBlock(context(ledger, 2), frame(ledger, 2), block)
      expect(verdict.ok ? 'ok' : verdict.code, code).toBe(code)
      // and an honest proposer leaves it out
      const built = buildBlock(context(ledger, 2), frame(ledger, 2), proposer, {
        pending: [],
        attestations: new AttestationPool(),
        releases: [],
        contributions: [claim],
      })
      expect(built.contributions, code).toBeUndefined()
    }
    expect(ledger.pools.size(pool.vaultId as Hex32)).toBe(before)
    wrongKey.delete()
  })

  it('a claim replayed in another pool fails its signature; the same bytes in another pool are a replay', async () => {
    const ledger = new Ledger(ZERO_HASH)
    const key = contributors[3]!
    const bytes = contributor.encrypt(day(1))
    const claim = await contribution(key, {}, bytes)
    const block = blockWith(ledger, 1, [claim])
    ledger.apply(block, blockHash(block))
    const moved = { ...claim, contribution: { ...claim.contribution, poolId: otherPool.vaultId as Hex32 } }
    const verdict = validateBlock(context(ledger, 2), frame(ledger, 2), blockWith(ledger, 2, [moved]))
    expect(verdict.ok ? 'ok' : verdict.code).toBe('BAD_SIGNATURE')
    const resigned = await contribution(key, {}, bytes, otherPool)
    const again = validateBlock(context(ledger, 2), frame(ledger, 2), blockWith(ledger, 2, [resigned]))
    expect(again.ok ? 'ok' : again.code).toBe('REPLAYED_BLOB')
  })

  it('enforces the per-window bound across the log and the block, two nodes at once included', async () => {
    const ledger = new Ledger(ZERO_HASH)
    const key = contributors[0]!
    // Three claims of one contributor sent to different nodes at once, all pending at the proposer.
    const claims = await Promise.all([0, 1, 2].map((sequence) => contribution(key, { sequence })))
    const attack = validateBlock(context(ledger, 1), frame(ledger, 1), blockWith(ledger, 1, claims))
    expect(attack.ok ? 'ok' : attack.code).toBe('OVER_BOUND')
    const built = buildBlock(context(ledger, 1), frame(ledger, 1), proposer, {
      pending: [],
      attestations: new AttestationPool(),
      releases: [],
      contributions: claims,
    })
    expect(built.contributions).toHaveLength(2)
    ledger.apply(built, blockHash(built))
    // The next block in the same window: the log already holds the bound.
    const later = validateBlock(context(ledger, 2), frame(ledger, 2), blockWith(ledger, 2, [claims[2]!]))
    expect(later.ok ? 'ok' : later.code).toBe('OVER_BOUND')
    // A new window admits it again (signed for that window).
    for (let h = 2; h < WINDOW; h++) {
      const b = blockWith(ledger, h, [])
      ledger.apply(b, blockHash(b))
    }
    const fresh = await contribution(key, { sequence: 3, window: 1 })
    expect(
      validateBlock(context(ledger, WINDOW), frame(ledger, WINDOW), blockWith(ledger, WINDOW, [fresh])).ok,
    ).toBe(true)
    const counts: ReadonlyMap<Address, number> = ledger.pools.snapshot(pool.vaultId as Hex32, WINDOW)!.counts
    expect(counts.get(addressOfPrivateKey(key).toLowerCase() as Address)).toBe(2)
  })

  it('a job on a pool that names no snapshot is refused with its own code', () => {
    const ledger = new Ledger(ZERO_HASH)
    const spec = { version: 1, outputs: { trips: { op: 'histogram2d', of: ['cell', 'hour'] } } }
    const buyer = generatePrivateKey()
    const signed = signJobRequest(domain, buyer, {
      version: 1,
      vaultId: pool.vaultId as Hex32,
      algorithm: { specHash: specHash(spec), spec },
      buyer: addressOfPrivateKey(buyer),
      maxPrice: '10',
      deadline: 10,
      nonce: `0x${'12'.repeat(32)}`,
      sealingPublicKey: `0x02${'ab'.repeat(32)}`,
    })
    const verdict = checkAdmission(context(ledger, 1), signed)
    expect(verdict.ok ? 'ok' : verdict.code).toBe('SNAPSHOT_MISSING')
  })
})
