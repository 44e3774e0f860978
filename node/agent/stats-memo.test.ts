import type { SecretKey } from 'node-seal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generatePrivateKey, type Hex32, type JobRequest } from '../../protocol/index.ts'
import {
  type Accuracy,
  type AlgorithmSpec,
  type Circuit,
  circuitIdOf,
  compile,
  decryptStats,
  evaluateCircuit,
  execEnvHash,
  type HeContext,
  loadSecretKey,
  parseSpec,
  planPrivacy,
  type ResultBundle,
  resultHashOf,
  type VaultManifest,
} from '../../sandbox/index.ts'
import { TEST_PASSPHRASE } from '../../sandbox/testing/fixtures.ts'
import { REGRESSION_KEYS, REGRESSION_SPEC, regressionEvaluation } from '../../sandbox/testing/regression.ts'
import { decodePayload, generateSealingKey, type ResultPayload, unseal } from '../sdk/index.ts'
import { AgentError } from './errors.ts'
import { buildRelease } from './release.ts'
import { type DecryptStats, StatsMemo } from './stats-memo.ts'

// The regression vault, evaluated for real in this process: one certified-style bundle whose
// ciphertexts the memo's decryptions open with the vault's real secret key.
let he: HeContext
let secretKey: SecretKey
let manifest: VaultManifest
let circuit: Circuit
let bundle: ResultBundle

beforeAll(async () => {
  const r = await regressionEvaluation()
  try {
    const stats = evaluateCircuit(r.ctx, r.keys, r.input)
    const env = await execEnvHash(r.manifest.profile)
    const circuitId = circuitIdOf(r.circuit)
    bundle = { circuitId, execEnvHash: env, stats, resultHash: resultHashOf(circuitId, env, stats) }
  } finally {
    r.keys.delete()
  }
  ;({ manifest, circuit, ctx: he } = r)
  secretKey = await loadSecretKey(he, REGRESSION_KEYS, TEST_PASSPHRASE, manifest.keys.publicKey)
}, 120_000)

afterAll(() => secretKey?.delete())

/** The real decryption, counted: the seam the memo takes, not a stand-in for SEAL. */
function counted(): { decrypt: DecryptStats; calls: () => number } {
  let calls = 0
  return {
    decrypt: (...args) => {
      calls++
      return decryptStats(...args)
    },
    calls: () => calls,
  }
}

/** The same ciphertexts under another environment hash: another result hash, the same decryption. */
const renamed = (env: string): ResultBundle => {
  const execEnvHash = `0x${env.repeat(64).slice(0, 64)}` as Hex32
  return { ...bundle, execEnvHash, resultHash: resultHashOf(bundle.circuitId, execEnvHash, bundle.stats) }
}

const buyer = generateSealingKey()
const ownerKey = generatePrivateKey()

/** One job's release on `result`, built as the agent builds it, unsealed by its buyer. */
function release(memo: StatsMemo, spec: AlgorithmSpec, result = bundle, jobCircuit = circuit): ResultPayload {
  const request: JobRequest = {
    version: 1,
    vaultId: manifest.vaultId as Hex32,
    algorithm: { specHash: `0x${'22'.repeat(32)}` },
    buyer: `0x${'ab'.repeat(20)}`,
    maxPrice: '1000',
    deadline: 600,
    nonce: `0x${'33'.repeat(32)}`,
    sealingPublicKey: buyer.publicKey,
  }
  const sealed = buildRelease({
    request,
    jobId: `0x${'44'.repeat(32)}`,
    certifiedHeight: 7,
    manifest,
    spec,
    circuit: jobCircuit,
    circuitId: circuitIdOf(jobCircuit),
    privacy: planPrivacy(spec, jobCircuit, manifest),
    bundle: result,
    he,
    secretKey,
    ownerKey,
    domain: { chainId: 31337n, verifyingContract: `0x${'5f'.repeat(20)}` },
    memo,
  })
  return decodePayload(unseal(sealed.sealed, buyer.privateKey))
}

describe('the agent decrypts a result once', () => {
  it('serves the second job on a result without decrypting, with fresh noise', () => {
    const { decrypt, calls } = counted()
    const memo = new StatsMemo({ decrypt })
    const first = release(memo, REGRESSION_SPEC)
    expect(calls()).toBe(1)
    const again = Array.from({ length: 4 }, () => release(memo, REGRESSION_SPEC))
    expect(calls()).toBe(1)
    // Five draws of the noise on every output (each rounded to a tenth of its 95% error): not all the same.
    const draws = new Set([first, ...again].map((p) => JSON.stringify(p.outputs)))
    expect(draws.size).toBeGreaterThan(1)
  })

  it('decrypts a result with another hash', () => {
    const { decrypt, calls } = counted()
    const memo = new StatsMemo({ decrypt })
    release(memo, REGRESSION_SPEC)
    release(memo, REGRESSION_SPEC, renamed('e'))
    expect(calls()).toBe(2)
  })

  it("draws a job's noise from its own plan when another job's plan read the same statistics", () => {
    // Another epsilon for mean_x: the same circuit, hence the same result, and another noise scale.
    const loose = parseSpec({
      ...JSON.parse(JSON.stringify(REGRESSION_SPEC)),
      outputs: { ...REGRESSION_SPEC.outputs, mean_x: { op: 'mean', of: 'x', epsilon: 0.05 } },
    })
    const looseCircuit = compile(loose, manifest)
    expect(circuitIdOf(looseCircuit)).toBe(bundle.circuitId)
    const { decrypt, calls } = counted()
    const memo = new StatsMemo({ decrypt })
    const tight = release(memo, REGRESSION_SPEC)
    const other = release(memo, loose, bundle, looseCircuit)
    expect(calls()).toBe(1)
    const accuracy = (p: ResultPayload) => p.outputs.mean_x as Accuracy
    expect(accuracy(other).epsilon).toBe(0.05)
    expect(accuracy(tight).epsilon).not.toBe(0.05)
    const error = (p: ResultPayload) => accuracy(p).error95?.value ?? Number.NaN
    expect(error(other)).toBeGreaterThan(error(tight))
  })

  it("refuses another circuit's statistics, before any decryption", () => {
    const fewer = compile(parseSpec({ version: 1, outputs: { mean_x: { op: 'mean', of: 'x' } } }), manifest)
    const { decrypt, calls } = counted()
    const memo = new StatsMemo({ decrypt })
    release(memo, REGRESSION_SPEC)
    expect(() => memo.statsOf(he, secretKey, bundle, fewer, circuitIdOf(fewer))).toThrow(AgentError)
    expect(calls()).toBe(1)
  })

  it('keeps a few results for a while, and zeroes what it lets go', () => {
    let now = 0
    const { decrypt, calls } = counted()
    const memo = new StatsMemo({ decrypt, entries: 2, ttlMs: 1000, now: () => now })
    const a = memo.statsOf(he, secretKey, renamed('a'), circuit, bundle.circuitId)
    expect(a.some((x) => x !== 0)).toBe(true)
    memo.statsOf(he, secretKey, renamed('b'), circuit, bundle.circuitId)
    memo.statsOf(he, secretKey, renamed('c'), circuit, bundle.circuitId)
    expect(memo.size).toBe(2)
    expect(a.every((x) => x === 0)).toBe(true)
    const c = memo.statsOf(he, secretKey, renamed('c'), circuit, bundle.circuitId)
    expect(calls()).toBe(3)
    now = 1000
    expect(memo.size).toBe(0)
    expect(c.every((x) => x === 0)).toBe(true)
    memo.statsOf(he, secretKey, renamed('c'), circuit, bundle.circuitId)
    expect(calls()).toBe(4)
    memo.clear()
    expect(memo.size).toBe(0)
  })
})
