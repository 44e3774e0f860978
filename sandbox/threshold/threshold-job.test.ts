import { beforeAll, describe, expect, it } from 'vitest'
import type { Circuit } from '../compiler/circuit.ts'
import { compile } from '../compiler/compile.ts'
import { unpackSlots } from '../decrypt/decrypt.ts'
import { finish } from '../decrypt/finish.ts'
import { evaluateCircuit } from '../evaluator/evaluate.ts'
import { rotateAndSumSteps } from '../he/profiles.ts'
import { heContext } from '../he/seal.ts'
import { plaintextOutputs } from '../reference/plaintext.ts'
import { OPEN_POLICY } from '../testing/fixtures.ts'
import { REGRESSION_SCHEMA, REGRESSION_SPEC } from '../testing/regression.ts'
import {
  committeeEvaluationKeys,
  decryptWith,
  type TestCommittee,
  testCommittee,
} from '../testing/threshold-committee.ts'
import {
  THRESHOLD_CSV,
  THRESHOLD_ROWS,
  thresholdVault,
  thresholdVaultKeys,
} from '../testing/threshold-vault.ts'
import { combineDecryption, DEFAULT_SMUDGING_BITS, decodePlaintext, decryptionShare } from './decrypt.ts'
import { pcksCombine, pcksShare } from './pcks.ts'
import { readCiphertext } from './seal-format.ts'
import { statLocations } from './stat-coefficients.ts'
import { combineStat, statShare } from './stat-decrypt.ts'

/**
 * The whole path on real SEAL: a vault encrypted under a 4-member
 * committee's collective key, evaluated by the real compiler and evaluator
 * with the committee's relin and Galois keys, then opened two ways: to the
 * committee by threshold decryption (the quality statistics) and to the
 * buyer alone by public-key switching. No party ever holds the secret key;
 * the single-key decryption is the test's oracle only.
 */
const rows = THRESHOLD_ROWS
const csv = THRESHOLD_CSV

let tc: TestCommittee
/** the default layout: statistics packed into few ciphertexts, the buyer's outputs */
let packed: Evaluated
/** one ciphertext per statistic, as the committee opens quality statistics one coefficient each */
let single: Evaluated
/** a committee vault's layout: integer-mask packs, each statistic one coefficient of its pack */
let committee: Evaluated
const participants = [1, 2, 4]

interface Evaluated {
  readonly circuit: Circuit
  /** one result ciphertext per pack */
  readonly cts: Uint8Array[]
  /** each statistic opened with the collective secret key: the test's oracle */
  readonly oracle: number[]
}

beforeAll(async () => {
  const ctx = await heContext('ckks-8192')
  tc = testCommittee(ctx, 4, 'job')
  const evk = committeeEvaluationKeys(tc, rotateAndSumSteps(ctx.profile.slotCount))
  const vault = await thresholdVault(tc, csv, REGRESSION_SCHEMA, OPEN_POLICY, evk)
  const keys = thresholdVaultKeys(ctx, vault)
  const sk = tc.collectiveSecretKey()
  const evaluate = (circuit: Circuit): Evaluated => {
    const cts = evaluateCircuit(ctx, keys, {
      circuit,
      columns: new Map(vault.manifest.columns.map((c) => [c.name, c.chunks])),
      chunkCount: vault.manifest.chunkCount,
      readBlob: (id) => vault.blobs.get(id as `0x${string}`)!,
    })
    return {
      circuit,
      cts,
      oracle: unpacked(
        circuit,
        cts.map((ct) => decryptWith(ctx, sk, ct)),
      ),
    }
  }
  try {
    // Packed as a circuit of more than MAX_LONE_RESULTS stats is; `single` is the default, lone stats.
    const packs = { maxLoneResults: 0 }
    const keyHolder = { mode: 'committee' as const, epoch: 1, keyHash: `0x${'ab'.repeat(32)}` as const }
    packed = evaluate(compile(REGRESSION_SPEC, vault.manifest, undefined, packs))
    single = evaluate(compile(REGRESSION_SPEC, { ...vault.manifest, keyHolder }))
    committee = evaluate(compile(REGRESSION_SPEC, { ...vault.manifest, keyHolder }, undefined, packs))
  } finally {
    keys.delete()
    sk.delete()
  }
}, 120_000)

/** Each statistic from its pack's decoded slots. */
function unpacked(circuit: Circuit, slotsPerPack: readonly Float64Array[]): number[] {
  const values = new Array<number>(circuit.stats.length).fill(Number.NaN)
  slotsPerPack.forEach((slots, i) => {
    unpackSlots(circuit.packs[i]!, slots, values)
  })
  return values
}

/**
 * The stated error of a statistic averaged over its pack's slots: 7.5 σ of the smudging of t
 * members in the constant coefficient for a statistic alone; a statistic sharing its ciphertext
 * with `classes` slot classes averages fewer slots and picks up that many coefficients' noise.
 */
function averagedBound(ev: Evaluated, stat: number, bits: number): number {
  const at = ev.circuit.packs.findIndex((p) => p.stats.includes(stat))
  const { scale } = readCiphertext(tc.basis, ev.cts[at]!)
  return (
    (7.5 * 2 ** bits * Math.sqrt(participants.length / 3) * Math.sqrt(ev.circuit.packs[at]!.classes)) / scale
  )
}

function expectWithinBound(ev: Evaluated, opened: readonly number[]): void {
  opened.forEach((v, i) => {
    expect(Math.abs(v - ev.oracle[i]!), `stat ${i}`).toBeLessThan(averagedBound(ev, i, DEFAULT_SMUDGING_BITS))
  })
}

function expectOutputsClose(
  got: ReturnType<typeof finish>,
  truth: ReturnType<typeof plaintextOutputs>,
): void {
  for (const [name, value] of Object.entries(got.outputs)) {
    expect('withheld' in value, name).toBe(false)
    const flat = JSON.stringify(value, (_k, v) => v)
    const expected = truth[name]!
    const pairs: [number, number][] =
      'value' in value && typeof expected === 'number'
        ? [[value.value as number, expected]]
        : 'buckets' in value
          ? Object.entries(expected as Record<string, number>).map(([k, v]) => [value.buckets[k]!, v])
          : 'r2' in value
            ? [[value.r2, (expected as { r2: number }).r2]]
            : []
    expect(pairs.length, `${name}: ${flat}`).toBeGreaterThan(0)
    for (const [a, b] of pairs)
      expect(Math.abs(a - b) / Math.max(1, Math.abs(b)), `${name}: ${a} vs ${b}`).toBeLessThan(2e-3)
  }
}

describe('a job on a threshold vault (n = 4, t = 3), compiler + evaluator + committee keys', () => {
  it('the evaluated stats under the collective key decrypt (oracle) to the plaintext outputs', () => {
    const truth = plaintextOutputs(
      rows.map((r) => ({ ...r })),
      REGRESSION_SCHEMA,
      REGRESSION_SPEC,
    )
    expectOutputsClose(finish(packed.circuit, packed.oracle, OPEN_POLICY.minAggregation), truth)
  })

  it('threshold decryption by members 1, 2, 4 gives every stat within its stated error, and the outputs', () => {
    const slots = packed.cts.map((ct, i) => {
      const inst = { id: `job/pack/${i}`, ciphertext: ct, participants, smudgingBits: DEFAULT_SMUDGING_BITS }
      const shares = participants.map((p) => decryptionShare(tc.basis, tc.keys[p - 1]!, inst))
      return decodePlaintext(tc.ctx, combineDecryption(tc.basis, ct, shares))
    })
    const opened = unpacked(packed.circuit, slots)
    expectWithinBound(packed, opened)
    const truth = plaintextOutputs(rows, REGRESSION_SCHEMA, REGRESSION_SPEC)
    expectOutputsClose(finish(packed.circuit, opened, OPEN_POLICY.minAggregation), truth)
  })

  it('the committee opens each stat as one smudged coefficient (8 bytes a share), within the same error', () => {
    expect(single.cts.length).toBe(single.circuit.stats.length)
    const opened = single.cts.map((ct, i) => {
      const inst = { id: `job/score/${i}`, ciphertext: ct, participants, smudgingBits: DEFAULT_SMUDGING_BITS }
      const shares = participants.map((p) => statShare(tc.basis, tc.keys[p - 1]!, inst))
      expect(shares.every((sh) => sh.length === 1)).toBe(true)
      return combineStat(tc.basis, ct, shares)
    })
    expectWithinBound(single, opened)
    expectOutputsClose(
      finish(single.circuit, opened, OPEN_POLICY.minAggregation),
      plaintextOutputs(rows, REGRESSION_SCHEMA, REGRESSION_SPEC),
    )
  })

  it('a committee vault packs by integer masks only, and each stat opens as its one coefficient', () => {
    const { circuit, cts } = committee
    expect(circuit.packs.every((p) => p.classes === 1 || p.masks === 'integer')).toBe(true)
    expect(cts.length).toBeLessThan(circuit.stats.length)
    const at = statLocations(circuit.packs, circuit.stats.length, tc.ctx.profile.slotCount)
    expect(at.some((l) => l.coefficient > 0)).toBe(true)
    const opened = at.map(({ result, coefficient }, i) => {
      const ct = cts[result]!
      const inst = {
        id: `job/committee/${i}`,
        ciphertext: ct,
        participants,
        smudgingBits: DEFAULT_SMUDGING_BITS,
      }
      const shares = participants.map((p) => statShare(tc.basis, tc.keys[p - 1]!, inst, coefficient))
      return combineStat(tc.basis, ct, shares, coefficient)
    })
    // One coefficient each, at the ciphertext's scale: a lone stat's error, not a pack's averaged one.
    opened.forEach((v, i) => {
      const { scale } = readCiphertext(tc.basis, cts[at[i]!.result]!)
      const bound = (7.5 * 2 ** DEFAULT_SMUDGING_BITS * Math.sqrt(participants.length / 3)) / scale
      expect(Math.abs(v - committee.oracle[i]!), `stat ${i}`).toBeLessThan(bound)
    })
    expectOutputsClose(
      finish(circuit, opened, OPEN_POLICY.minAggregation),
      plaintextOutputs(rows, REGRESSION_SCHEMA, REGRESSION_SPEC),
    )
    // The constant coefficient of a pack is its first stat only: reading every stat there would be wrong.
    const first = at.findIndex((l) => l.coefficient > 0)
    const wrong = combineStat(
      tc.basis,
      cts[at[first]!.result]!,
      participants.map((p) =>
        statShare(tc.basis, tc.keys[p - 1]!, {
          id: 'job/committee/wrong',
          ciphertext: cts[at[first]!.result]!,
          participants,
          smudgingBits: DEFAULT_SMUDGING_BITS,
        }),
      ),
    )
    expect(Math.abs(wrong - committee.oracle[first]!)).toBeGreaterThan(1e-3)
  })

  it("public-key switching releases the result to the buyer's SEAL key alone", () => {
    const { ctx } = tc
    const keygen = new ctx.seal.KeyGenerator(ctx.context)
    const buyerSecret = keygen.secretKey()
    const buyerPublic = keygen.createPublicKey()
    const buyerPublicKey = buyerPublic.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array
    try {
      const switched = packed.cts.map((ct, i) => {
        const inst = {
          id: `job/release/${i}`,
          ciphertext: ct,
          buyerPublicKey,
          participants,
          smudgingBits: DEFAULT_SMUDGING_BITS,
        }
        return pcksCombine(
          tc.basis,
          ct,
          participants.map((p) => pcksShare(tc.basis, tc.keys[p - 1]!, inst)),
        )
      })
      const released = unpacked(
        packed.circuit,
        switched.map((ct) => decryptWith(ctx, buyerSecret, ct)),
      )
      expectWithinBound(packed, released)
      // the switched ciphertext is not a committee ciphertext any more: the collective key opens noise
      const sk = tc.collectiveSecretKey()
      const wrong = unpacked(
        packed.circuit,
        switched.map((ct) => decryptWith(ctx, sk, ct)),
      )
      sk.delete()
      expect(Math.max(...wrong.map((v, i) => Math.abs(v - packed.oracle[i]!)))).toBeGreaterThan(1e3)
    } finally {
      for (const o of [buyerSecret, buyerPublic, keygen]) o.delete()
    }
  })
})
