import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  blobIdOf,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  type SignedContribution,
  signContribution,
} from '../../protocol/index.ts'
import {
  Contributor,
  encodeContribution,
  type HeContext,
  heContext,
  type PoolRecord,
  poolLayoutOf,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { testPool } from '../../sandbox/testing/pool.ts'
import { decryptWith, maxAbsDiff } from '../../sandbox/testing/threshold-committee.ts'
import { useTempStore } from '../storage/testing/temp-store.ts'
import { PoolAggregates } from './aggregates.ts'
import { PoolLog } from './pool-log.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const keyHash = `0x${'c0'.repeat(32)}` as Hex32
const validatorA = useTempStore('tcf-pool-a-')
const validatorB = useTempStore('tcf-pool-b-')

let ctx: HeContext
let pool: VaultManifest
let contributor: Contributor
let secretKey: InstanceType<HeContext['seal']['SecretKey']>
let keygen: InstanceType<HeContext['seal']['KeyGenerator']>

beforeAll(async () => {
  ctx = await heContext('ckks-8192')
  keygen = new ctx.seal.KeyGenerator(ctx.context)
  secretKey = keygen.secretKey()
  const publicKey = keygen.createPublicKey().saveToArray(ctx.seal.ComprModeType.none) as Uint8Array
  pool = testPool({
    publicKey,
    keyHash,
    curator: addressOfPrivateKey(generatePrivateKey()),
    maxRecords: 4,
    perWindow: 5,
    windowBlocks: 100,
  })
  contributor = new Contributor(ctx, poolLayoutOf(pool), { id: keyHash, publicKey })
})
afterAll(() => {
  contributor?.delete()
  secretKey?.delete()
  keygen?.delete()
})

const day = (v: number): PoolRecord[] =>
  Array.from({ length: 4 }, (_, i) => ({
    cell: `c${(v + i) % 3}`,
    hour: (v * 5 + i * 7) % 24,
    speed: 20 + v + i,
  }))

describe('pool aggregates by snapshot', () => {
  it('a validator that caught up rebuilds the same aggregate bytes; they decrypt to the sum of the contributions', async () => {
    const log = new PoolLog()
    const blobs = new Map<Hex32, Uint8Array>()
    const claim = (v: number): SignedContribution => {
      const bytes = contributor.encrypt(day(v))
      const blobId = blobIdOf(bytes)
      blobs.set(blobId, bytes)
      const key = generatePrivateKey()
      return signContribution(domain, key, {
        version: 1,
        poolId: pool.vaultId as Hex32,
        contributor: addressOfPrivateKey(key),
        window: 0,
        sequence: 0,
        blobId,
      })
    }
    log.apply({ height: 3, contributions: [0, 1, 2].map(claim) })
    log.apply({ height: 5, contributions: [3, 4].map(claim) })
    const aggregatesOf = (store: typeof validatorA.store, fetch: (id: Hex32) => Promise<Uint8Array>) =>
      new PoolAggregates({
        store,
        blob: fetch,
        log,
        manifest: async () => pool,
        context: async () => ctx,
        logger: pino({ level: 'silent' }),
      })
    // Validator A saw every block: it keeps the aggregate at heights 3 and 5 as they commit.
    for (const [id, bytes] of blobs) await validatorA.store.blobs.put(id, bytes)
    const a = aggregatesOf(validatorA.store, async (id) => (await validatorA.store.blobs.get(id))!)
    await a.follow([pool.vaultId as Hex32], 3)
    await a.follow([pool.vaultId as Hex32], 5)
    // Validator B caught up: it holds no contribution and rolls forward from nothing, fetching from A.
    const b = aggregatesOf(validatorB.store, async (id) => (await validatorA.store.blobs.get(id))!)
    const atA = await a.snapshot(pool.vaultId as Hex32, 5)
    const atB = await b.snapshot(pool.vaultId as Hex32, 6)
    expect(atB).toEqual(atA)
    expect(atA).toMatchObject({ height: 5, count: 5, contributors: 5 })
    expect((await a.snapshot(pool.vaultId as Hex32, 4))?.count).toBe(3)
    expect(await a.snapshot(pool.vaultId as Hex32, 2)).toBeUndefined()
    const truth = new Float64Array(ctx.profile.slotCount)
    for (let v = 0; v < 5; v++) {
      const slots = encodeContribution(poolLayoutOf(pool), day(v))
      for (let i = 0; i < slots.length; i++) truth[i]! += slots[i]!
    }
    const slots = decryptWith(ctx, secretKey, await b.aggregateBytes(atB!))
    expect(maxAbsDiff(slots, truth, pool.pool!.monomials.length)).toBeLessThan(1e-3)
  })
})
