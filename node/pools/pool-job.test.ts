import { describe, expect, it } from 'vitest'
import { ValidatorSet } from '../../consensus/index.ts'
import {
  type Address,
  addressOfPrivateKey,
  type Block,
  blockHash,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  jobIdOf,
  type SignedContribution,
  type SignedJobRequest,
  signContribution,
  signJobRequest,
  signScoreShare,
  specHash,
  ZERO_HASH,
} from '../../protocol/index.ts'
import { DEFAULT_LIMITS, MICROS, readManifest, type VaultManifest } from '../../sandbox/index.ts'
import { testPool } from '../../sandbox/testing/pool.ts'
import { REGRESSION_VAULT } from '../../sandbox/testing/regression.ts'
import { scoredContext, validateBlock } from '../jobs/block.ts'
import { jobPrivacy } from '../jobs/budget.ts'
import { type ChainFacts, chainFacts, DEFAULT_ESCROW_TERMS, type VaultFact } from '../jobs/chain-facts.ts'
import { Ledger } from '../jobs/ledger.ts'
import { checkAdmission, type RuleContext } from '../jobs/rules.ts'
import { checkScored, combineScored, fixedScore } from '../jobs/scored-rules.ts'
import { blockFrame } from '../jobs/testing/validator-set.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const validatorKey = generatePrivateKey()
const validators = new ValidatorSet([{ address: addressOfPrivateKey(validatorKey), power: 1 }])
const curator = addressOfPrivateKey(generatePrivateKey())
const options = { curator, maxRecords: 2, perWindow: 5, windowBlocks: 1000 }
// Only hashed into the manifests: admission reads the log's public counts, never the bytes.
const pool = testPool({ ...options, publicKey: Uint8Array.of(1), keyHash: `0x${'c1'.repeat(32)}` })
const otherPool = testPool({ ...options, publicKey: Uint8Array.of(2), keyHash: `0x${'c2'.repeat(32)}` })
type JobSpec = SignedJobRequest['request']['algorithm']['spec'] & object
const heatmap = {
  trips: { op: 'histogram2d', of: ['cell', 'hour'], epsilon: 0.5 },
  speed: { op: 'group_mean', of: 'speed', by: 'cell', epsilon: 0.25 },
}
const buyerKey = generatePrivateKey()
const buyer = addressOfPrivateKey(buyerKey)

function request(vaultId: string, spec: JobSpec, nonce = 1): SignedJobRequest {
  return signJobRequest(domain, buyerKey, {
    version: 1,
    vaultId: vaultId as Hex32,
    algorithm: { specHash: specHash(spec), spec },
    buyer,
    maxPrice: '10',
    deadline: 100,
    nonce: `0x${nonce.toString(16).padStart(64, '0')}`,
    sealingPublicKey: `0x02${'ab'.repeat(32)}`,
  })
}

/** The chain as a paid, marked pool would show it: an open escrow per request, `marked` the pool flag. */
function paidChain(requests: SignedJobRequest[], marked: boolean, plain?: VaultManifest): ChainFacts {
  const vault = (pool: boolean): VaultFact => ({
    owner: curator.toLowerCase() as Address,
    active: true,
    price: 1n,
    pool,
  })
  return chainFacts({
    number: 0,
    timestamp: 0n,
    escrows: new Map(
      requests.map((r) => [
        jobIdOf(r.request),
        {
          status: 'open' as const,
          buyer,
          vaultId: r.request.vaultId,
          amount: 10n,
          expiresAt: 10n ** 12n,
          minQuality: 0,
        },
      ]),
    ),
    vaults: new Map([
      [pool.vaultId as Hex32, vault(marked)],
      [otherPool.vaultId as Hex32, vault(marked)],
      ...(plain ? [[plain.vaultId as Hex32, vault(false)] as const] : []),
    ]),
  })
}

function context(ledger: Ledger, chain: ChainFacts, extra: VaultManifest[] = []): RuleContext {
  const known = new Map([pool, otherPool, ...extra].map((m) => [m.vaultId, m]))
  return {
    height: ledger.height + 1,
    validators,
    ledger,
    domain,
    manifest: (id) => known.get(id),
    chain,
    escrowTerms: DEFAULT_ESCROW_TERMS,
    limits: DEFAULT_LIMITS,
  }
}

/** Claims as a decided block carries them: the log reads only the signed claim (bytes are checked before). */
function claims(on: VaultManifest, keys: Hex32[]): SignedContribution[] {
  return keys.map((key, i) =>
    signContribution(domain, key, {
      version: 1,
      poolId: on.vaultId as Hex32,
      contributor: addressOfPrivateKey(key),
      window: 0,
      sequence: 0,
      blobId: `0x${(i + 1).toString(16).padStart(2, '0')}${on.vaultId.slice(4)}` as Hex32,
    }),
  )
}

/** The block after the ledger's head, proposed by the test validator, with `fields` and nothing else. */
const nextBlock = (ledger: Ledger, fields: Partial<Block>): Block => ({
  version: 1,
  ...blockFrame(ledger),
  proposer: addressOfPrivateKey(validatorKey),
  admitted: [],
  certified: [],
  released: [],
  failed: [],
  ...fields,
})

function apply(
  ledger: Ledger,
  contributions: SignedContribution[],
  admitted: SignedJobRequest[] = [],
): Block {
  const block = nextBlock(ledger, { admitted, ...(contributions.length > 0 ? { contributions } : {}) })
  ledger.apply(block, blockHash(block))
  return block
}

const code = (v: { ok: boolean; code?: string }) => (v.ok ? 'ok' : v.code)
const keys = (n: number) => Array.from({ length: n }, generatePrivateKey)

/** Height 1: one contributor in `pool`; height 2: three in `otherPool`; height 3: two more in `pool`. */
function populated(): Ledger {
  const ledger = new Ledger(
    ZERO_HASH,
    (r, pools) =>
      jobPrivacy(r, r.request.vaultId === pool.vaultId ? pool : otherPool, DEFAULT_LIMITS, pools)
        .epsilonMicros,
  )
  apply(ledger, claims(pool, keys(1)))
  apply(ledger, claims(otherPool, keys(3)))
  apply(ledger, claims(pool, keys(2)))
  return ledger
}

describe('jobs on a pool snapshot: admission', () => {
  it('admits a job naming a snapshot of its pool, and charges the pool budget by its contributor plan', () => {
    const ledger = populated()
    const job = request(pool.vaultId, { version: 1, outputs: heatmap, snapshot: 3 })
    expect(code(checkAdmission(context(ledger, paidChain([job], true)), job))).toBe('ok')
    apply(ledger, [], [job])
    // 0.5 for the heatmap, 0.25 for the speeds, and nothing more: the score reads no statistic.
    expect(ledger.spent(pool.vaultId as Hex32).micros).toBe(0.75 * MICROS)
  })

  it('refuses a pool job naming no snapshot, a snapshot above the head, or another pool\u2019s height', () => {
    const ledger = populated()
    const none = request(pool.vaultId, { version: 1, outputs: heatmap })
    const ahead = request(pool.vaultId, { version: 1, outputs: heatmap, snapshot: 4 }, 2)
    const others = request(pool.vaultId, { version: 1, outputs: heatmap, snapshot: 2 }, 3)
    const chain = paidChain([none, ahead, others], true)
    expect(code(checkAdmission(context(ledger, chain), none))).toBe('SNAPSHOT_MISSING')
    expect(code(checkAdmission(context(ledger, chain), ahead))).toBe('SNAPSHOT_AHEAD')
    // Height 2 is otherPool's snapshot: this pool did not change there, so it names nothing of it.
    expect(code(checkAdmission(context(ledger, chain), others))).toBe('SNAPSHOT_UNKNOWN')
  })

  it('refuses a snapshot with fewer contributors than the pool\u2019s minimum', () => {
    const ledger = populated()
    // Height 1: one contributor; the test pool's minimum is 2.
    const small = request(pool.vaultId, { version: 1, outputs: heatmap, snapshot: 1 })
    expect(code(checkAdmission(context(ledger, paidChain([small], true)), small))).toBe(
      'AGGREGATION_TOO_SMALL',
    )
  })

  it('refuses a pool job that leaves a slot of the layout unread (the release opens them all)', () => {
    const ledger = populated()
    const job = request(pool.vaultId, { version: 1, outputs: { trips: heatmap.trips }, snapshot: 3 })
    expect(code(checkAdmission(context(ledger, paidChain([job], true)), job))).toBe('SLOT_UNCOVERED')
  })

  it('refuses a snapshot named on an ordinary vault', async () => {
    const plain = await readManifest(REGRESSION_VAULT)
    const ledger = populated()
    const job = request(plain.vaultId, { version: 1, outputs: { n: { op: 'count' } }, snapshot: 3 })
    expect(code(checkAdmission(context(ledger, paidChain([job], true, plain), [plain]), job))).toBe(
      'SNAPSHOT_NOT_A_POOL',
    )
  })

  it('refuses a job on a pool the chain does not mark (its curator would take the owner share)', () => {
    const ledger = populated()
    const job = request(pool.vaultId, { version: 1, outputs: heatmap, snapshot: 3 })
    expect(code(checkAdmission(context(ledger, paidChain([job], false)), job))).toBe('POOL_NOT_MARKED')
  })

  it('a Byzantine proposer\u2019s block admitting a job on a wrong snapshot is refused with its code', () => {
    const ledger = populated()
    for (const [snapshot, expected] of [
      [4, 'SNAPSHOT_AHEAD'],
      [2, 'SNAPSHOT_UNKNOWN'],
      [1, 'AGGREGATION_TOO_SMALL'],
    ] as const) {
      const job = request(pool.vaultId, { version: 1, outputs: heatmap, snapshot }, snapshot + 10)
      const block: Block = {
        version: 1,
        height: 4,
        epoch: 1,
        parentHash: ledger.headHash,
        proposer: addressOfPrivateKey(validatorKey),
        chainBlock: 0,
        admitted: [job],
        certified: [],
        released: [],
        failed: [],
      }
      const frame = { height: 4, epoch: 1, parentHash: ledger.headHash, chainBlock: 0 }
      expect(code(validateBlock(context(ledger, paidChain([job], true)), frame, block))).toBe(expected)
    }
    expect(ledger.height).toBe(3)
  })
})

describe('jobs on a pool snapshot: the committee score', () => {
  const memberKeys = Array.from({ length: 4 }, generatePrivateKey)
  const members = memberKeys.map((k) => addressOfPrivateKey(k).toLowerCase() as Address)
  const resultHash = `0x${'5e'.repeat(32)}` as Hex32

  /** A certified pool job on snapshot 3 (5 contributors there: 1 + 2 of `populated`, none of otherPool). */
  function certifiedJob(expect?: { minRecords: number }) {
    const ledger = populated()
    const job = request(pool.vaultId, {
      version: 1,
      outputs: heatmap,
      snapshot: 3,
      ...(expect ? { expect } : {}),
    })
    apply(ledger, [], [job])
    const jobId = jobIdOf(job.request)
    const block = nextBlock(ledger, {
      certified: [{ jobId, resultHash, execEnvHash: resultHash, attestations: [] }],
    })
    ledger.apply(block, blockHash(block))
    const ctx: RuleContext = {
      ...context(ledger, paidChain([], true)),
      committee: () => ({ members, threshold: 3 }),
      primes: () => [1n],
    }
    return { ledger, jobId, ctx }
  }

  const shareBy = (jobId: Hex32, member: number, stats: string[][] = []) =>
    signScoreShare(domain, memberKeys[member - 1]!, {
      jobId,
      resultHash,
      keyHash: pool.keyHolder!.keyHash as Hex32,
      member,
      validator: members[member - 1]!,
      sets: [{ participants: [1, 2, 3], stats }],
      constants: stats.map(() => ({ c0: ['7'], scale: 2 ** 40 })),
    })

  /** The honest scored entry: members 1, 2 and 3 share the job's score for the set {1, 2, 3}. */
  const scoredEntry = (jobId: Hex32) => ({
    jobId,
    resultHash,
    participants: [1, 2, 3],
    shares: [1, 2, 3].map((m) => shareBy(jobId, m)),
  })

  it("is the snapshot's counts: the members open nothing, every validator computes the same score", () => {
    const { jobId, ctx } = certifiedJob({ minRecords: 10 })
    const entry = scoredEntry(jobId)
    const combined = combineScored(scoredContext(ctx), entry)
    if (!combined.ok) throw new Error(combined.message)
    // 3 contributors at height 3 of the 10 the buyer expects: sampleSize 0.3, the score its fourth root.
    expect(combined.score.components.sampleSize).toBe(0.3)
    expect(combined.score.score).toBeCloseTo(0.3 ** 0.25, 6)
    expect(code(checkScored(scoredContext(ctx), { ...entry, ...fixedScore(combined.score) }))).toBe('ok')
  })

  it("a Byzantine proposer's scored entry is refused: a score other than the counts', or shares that open statistics", () => {
    const { jobId, ctx } = certifiedJob()
    const honest = scoredEntry(jobId)
    const combined = combineScored(scoredContext(ctx), honest)
    if (!combined.ok) throw new Error(combined.message)
    const inflated = { ...honest, ...fixedScore(combined.score), qualityScore: 1_000_000 - 1 }
    expect(code(checkScored(scoredContext(ctx), inflated))).toBe('SCORE_MISMATCH')
    // A member's share that opens a statistic of the aggregate to everyone is no pool score share.
    const opening = { ...honest, shares: [shareBy(jobId, 1, [['5']]), shareBy(jobId, 2), shareBy(jobId, 3)] }
    expect(code(combineScored(scoredContext(ctx), opening))).toBe('SHARE_SHAPE')
    const elsewhere = { ...honest, resultHash: `0x${'66'.repeat(32)}` as Hex32 }
    expect(code(combineScored(scoredContext(ctx), elsewhere))).toBe('RESULT_MISMATCH')
  })
})
