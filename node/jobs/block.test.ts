import { beforeAll, describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  type Block,
  blockHash,
  type Hex32,
  type JobRequest,
  jobIdOf,
  type SignedJobRequest,
  signJobRequest,
  signResultAttestation,
  specHash,
  ZERO_HASH,
} from '../../protocol/index.ts'
import { DEFAULT_LIMITS, readManifest, type VaultManifest } from '../../sandbox/index.ts'
import { REGRESSION_VAULT } from '../../sandbox/testing/regression.ts'
import { AttestationPool } from './attestation-pool.ts'
import { buildBlock, validateBlock } from './block.ts'
import { jobPrivacy, vaultBudget } from './budget.ts'
import type { ChainFacts } from './chain-facts.ts'
import { Ledger } from './ledger.ts'
import { checkAdmission, type RuleContext } from './rules.ts'
import { paidChain as openEscrows } from './testing/paid-chain.ts'
import { blockFrame, randomHex32, ruleContext, testValidators } from './testing/validator-set.ts'

const net = testValidators()
const { domain, validatorKeys, validators, buyerKey } = net
const hex32 = randomHex32

let manifest: VaultManifest
beforeAll(async () => {
  manifest = await readManifest(REGRESSION_VAULT)
})

function request(spec: unknown, deadline = 10): JobRequest {
  return {
    version: 1,
    vaultId: manifest.vaultId as Hex32,
    algorithm: { specHash: specHash(spec), spec: spec as never },
    buyer: addressOfPrivateKey(buyerKey),
    maxPrice: '10',
    deadline,
    nonce: hex32(),
    sealingPublicKey: `0x02${'ab'.repeat(32)}`,
  }
}

const meanSpec = { version: 1, outputs: { m: { op: 'mean', of: 'x' } } }

const paidChain = (): ChainFacts =>
  openEscrows({ buyer: addressOfPrivateKey(buyerKey), vaultId: manifest.vaultId as Hex32 })

const context = (ledger: Ledger, height: number): RuleContext =>
  ruleContext(net, ledger, height, manifest, paidChain())

const frame = blockFrame

describe('blocks', () => {
  it('admits valid requests, certifies on a quorum of attestations, fails jobs past their deadline', () => {
    const ledger = new Ledger(ZERO_HASH)
    const pool = new AttestationPool()
    const good = signJobRequest(domain, buyerKey, request(meanSpec, 5))
    const forged = { ...signJobRequest(domain, buyerKey, request(meanSpec)), signature: good.signature }
    const refused = signJobRequest(
      domain,
      buyerKey,
      request({ version: 1, outputs: { m: { op: 'mean', of: 'nope' } } }),
    )
    const proposer = validators.validators[0]!.address

    const b1 = buildBlock(context(ledger, 1), frame(ledger, 1), proposer, {
      pending: [good, forged, refused],
      attestations: pool,
      releases: [],
    })
    expect(b1.admitted).toEqual([good])
    expect(validateBlock(context(ledger, 1), frame(ledger, 1), b1)).toEqual({ ok: true })
    ledger.apply(b1, blockHash(b1))

    const jobId = jobIdOf(good.request)
    const resultHash = hex32()
    const execEnvHash = hex32()
    for (const key of validatorKeys.slice(0, 2))
      pool.add(signResultAttestation(domain, key, { jobId, resultHash, execEnvHash }))
    const b2 = buildBlock(context(ledger, 2), frame(ledger, 2), proposer, {
      pending: [],
      attestations: pool,
      releases: [],
    })
    expect(b2.certified).toEqual([]) // 2 of 4 is not more than 2/3
    ledger.apply(b2, blockHash(b2))

    pool.add(signResultAttestation(domain, validatorKeys[2]!, { jobId, resultHash, execEnvHash }))
    const b3 = buildBlock(context(ledger, 3), frame(ledger, 3), proposer, {
      pending: [],
      attestations: pool,
      releases: [],
    })
    expect(b3.certified).toHaveLength(1)
    expect(b3.certified[0]!.attestations).toHaveLength(3)
    expect(validateBlock(context(ledger, 3), frame(ledger, 3), b3)).toEqual({ ok: true })
    ledger.apply(b3, blockHash(b3))
    expect(ledger.job(jobId)?.certified?.resultHash).toBe(resultHash)

    for (let h = 4; h <= 5; h++) {
      const b = buildBlock(context(ledger, h), frame(ledger, h), proposer, {
        pending: [],
        attestations: pool,
        releases: [],
      })
      expect(b.failed).toEqual([])
      ledger.apply(b, blockHash(b))
    }
    const b6 = buildBlock(context(ledger, 6), frame(ledger, 6), proposer, {
      pending: [],
      attestations: pool,
      releases: [],
    })
    expect(b6.failed).toEqual([jobId]) // deadline 5 passed without a release
  })

  it('refuses blocks that break a rule, naming it', () => {
    const ledger = new Ledger(ZERO_HASH)
    const pool = new AttestationPool()
    const proposer = validators.validators[1]!.address
    const good = signJobRequest(domain, buyerKey, request(meanSpec))
    const base = buildBlock(context(ledger, 1), frame(ledger, 1), proposer, {
      pending: [good],
      attestations: pool,
      releases: [],
    })
    const verdict = (block: typeof base) => validateBlock(context(ledger, 1), frame(ledger, 1), block)

    expect(verdict({ ...base, parentHash: hex32() })).toMatchObject({ ok: false, code: 'WRONG_PARENT' })
    expect(verdict({ ...base, proposer: `0x${'22'.repeat(20)}` })).toMatchObject({
      ok: false,
      code: 'NOT_A_VALIDATOR',
    })
    expect(verdict({ ...base, admitted: [good, good] })).toMatchObject({ ok: false, code: 'JOB_TWICE' })
    expect(
      validateBlock(context(ledger, 1), { ...frame(ledger, 1), chainBlock: 7 }, { ...base, chainBlock: 0 }),
    ).toMatchObject({ ok: false, code: 'CHAIN_BLOCK_BACKWARDS' })
    const tampered = { ...good, request: { ...good.request, maxPrice: '999' } }
    expect(verdict({ ...base, admitted: [tampered] })).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' })
    const notAllowed = signJobRequest(
      domain,
      buyerKey,
      request({ version: 1, outputs: { v: { op: 'variance', of: 'y' } } }),
    )
    const narrow = { ...manifest, policy: { ...manifest.policy, allowedOps: ['mean' as const] } }
    const strict = { ...context(ledger, 1), manifest: () => narrow }
    expect(validateBlock(strict, frame(ledger, 1), { ...base, admitted: [notAllowed] })).toMatchObject({
      ok: false,
      code: 'OP_NOT_ALLOWED',
    })
    const jobId = jobIdOf(good.request)
    const fakeCertificate = {
      jobId,
      resultHash: hex32(),
      execEnvHash: hex32(),
      attestations: validatorKeys
        .slice(0, 3)
        .map((k) => ({ validator: addressOfPrivateKey(k), signature: good.signature })),
    }
    ledger.apply(base, blockHash(base))
    const b2 = buildBlock(context(ledger, 2), frame(ledger, 2), proposer, {
      pending: [],
      attestations: pool,
      releases: [],
    })
    expect(
      validateBlock(context(ledger, 2), frame(ledger, 2), { ...b2, certified: [fakeCertificate] }),
    ).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    })
    expect(validateBlock(context(ledger, 2), frame(ledger, 2), { ...b2, failed: [jobId] })).toMatchObject({
      ok: false,
      code: 'DEADLINE_NOT_PASSED',
    })
  })
})

/**
 * The privacy budget as consensus keeps it, on the committed regression
 * vault (default policy: epsilon 10 in all, 1 per job): every admission
 * charges the ledger, a block past the budget is invalid, and a ledger
 * rebuilt from the same blocks agrees.
 */
function job(epsilon?: number): SignedJobRequest {
  const spec = { version: 1, outputs: { m: { op: 'mean', of: 'x', ...(epsilon ? { epsilon } : {}) } } }
  return signJobRequest(domain, buyerKey, request(spec, 1000))
}

const newLedger = () => new Ledger(ZERO_HASH, (r) => jobPrivacy(r, manifest, DEFAULT_LIMITS).epsilonMicros)

const next = (ledger: Ledger) => context(ledger, ledger.height + 1)
const nextFrame = (ledger: Ledger) => frame(ledger, ledger.height + 1)

function propose(ledger: Ledger, pending: SignedJobRequest[]): Block {
  return buildBlock(next(ledger), nextFrame(ledger), validators.validators[0]!.address, {
    pending,
    attestations: new AttestationPool(),
    releases: [],
  })
}

describe('the privacy budget in the replicated ledger', () => {
  it('admits jobs until the vault is spent, then refuses with what is left', () => {
    const ledger = newLedger()
    const blocks: Block[] = []
    for (const pending of [
      [job(), job(), job()],
      [job(0.5), job(), job(0.25)],
      [job(), job(), job(), job()],
    ]) {
      const block = propose(ledger, pending)
      expect(validateBlock(next(ledger), nextFrame(ledger), block)).toEqual({ ok: true })
      ledger.apply(block, blockHash(block))
      blocks.push(block)
    }
    // 3 + 1.75 + 4 = 8.75 spent: one more job of 1 fits, a second does not
    const spent = ledger.spent(manifest.vaultId as Hex32)
    expect(spent).toEqual({ micros: 8_750_000, jobs: 10 })
    expect(vaultBudget(manifest, ledger.height, spent.micros, spent.jobs)).toMatchObject({
      epsilon: 10,
      spent: 8.75,
      remaining: 1.25,
    })

    const last = [job(), job()]
    const block = propose(ledger, last)
    expect(block.admitted).toEqual([last[0]])
    // A proposer that packs both into one block proposes an invalid block.
    const greedy = { ...block, admitted: last }
    expect(validateBlock(next(ledger), nextFrame(ledger), greedy)).toMatchObject({
      ok: false,
      code: 'BUDGET_EXHAUSTED',
    })
    ledger.apply(block, blockHash(block))
    const refused = checkAdmission(next(ledger), job())
    expect(refused).toMatchObject({ ok: false, code: 'BUDGET_EXHAUSTED' })
    expect(refused.ok ? '' : refused.message).toMatch(/epsilon 0\.25 left of 10; the job needs 1/)
    // A smaller job still fits what is left.
    expect(checkAdmission(next(ledger), job(0.25))).toEqual({ ok: true })

    // A node that restarts replays the same blocks and holds the same budget.
    const replayed = newLedger()
    for (const b of [...blocks, block]) replayed.apply(b, blockHash(b))
    expect(replayed.spent(manifest.vaultId as Hex32)).toEqual(ledger.spent(manifest.vaultId as Hex32))
    expect(replayed.spent(manifest.vaultId as Hex32).micros).toBe(9_750_000)
  })

  it('refuses a spec asking for more than the per-job limit', () => {
    expect(checkAdmission(next(newLedger()), job(1.5))).toMatchObject({
      ok: false,
      code: 'EPSILON_EXCEEDED',
    })
  })
})

describe("a job's privacy plan, remembered", () => {
  it("is the plan made afresh, for the same spec, and never another spec's", () => {
    const spec = { version: 1, outputs: { m: { op: 'mean', of: 'x' }, s: { op: 'sum', of: 'x' } } }
    const signed = () => signJobRequest(domain, buyerKey, request(structuredClone(spec)))
    const first = jobPrivacy(signed(), manifest, DEFAULT_LIMITS)
    // Another request (nonce) with the same spec, parsed afresh: the remembered plan, equal to a fresh one.
    expect(jobPrivacy(signed(), manifest, DEFAULT_LIMITS)).toBe(first)
    expect(jobPrivacy(signed(), manifest, { ...DEFAULT_LIMITS })).toEqual(first)
    const fewer = jobPrivacy(signJobRequest(domain, buyerKey, request(meanSpec)), manifest, DEFAULT_LIMITS)
    expect(fewer).not.toEqual(first)
    // A spec that does not compile is refused every time, not remembered as anything.
    const bad = signJobRequest(
      domain,
      buyerKey,
      request({ version: 1, outputs: { m: { op: 'mean', of: 'nope' } } }),
    )
    expect(() => jobPrivacy(bad, manifest, DEFAULT_LIMITS)).toThrow()
    expect(() => jobPrivacy(bad, manifest, DEFAULT_LIMITS)).toThrow()
  })
})
