import { beforeAll, describe, expect, it } from 'vitest'
import type { LedgerJob } from '../../node/jobs/ledger.ts'
import { fixedScore } from '../../node/jobs/scored-rules.ts'
import { generateSealingKey } from '../../node/sdk/index.ts'
import { combineBuyerShares, finishThreshold, openBuyerShares } from '../../node/sdk/threshold-result.ts'
import { memberOutputs, releasableSet } from '../../node/threshold/output-shares.ts'
import { memberRelease } from '../../node/threshold/release-shares.ts'
import {
  addressOfPrivateKey,
  generatePrivateKey,
  type Hex32,
  signJobRequest,
  specHash,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import type { OutputValue, Withheld } from '../../sandbox/decrypt/finish.ts'
import {
  combineStatResidues,
  DEFAULT_SMUDGING_BITS,
  parseSpec,
  planPrivacy,
  reachesMinQuality,
  scoreFromStats,
  scoreStats,
  statShare,
} from '../../sandbox/index.ts'
import { OPEN_POLICY } from '../../sandbox/testing/fixtures.ts'
import type { VaultSchema } from '../../sandbox/vault/schema.ts'
import { type CommitteeJobHarness, committeeJobHarness } from '../support/committee-job.ts'

/**
 * A buyer against a committee vault, through the real threshold release (real SEAL shares of a
 * real 4-member test committee, members 1, 2 and 4 releasing). The target is record 0: age 67,
 * the only record whose bmi is missing (the owner-mode version is dp-attacks.test.ts).
 */
const TARGET_AGE = 67
const RECORDS = 120
const schema: VaultSchema = {
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 90, nullable: false },
    { name: 'bmi', type: 'number', min: 10, max: 50, nullable: true },
  ],
}
function csv(): string {
  const lines = ['age,bmi', `${TARGET_AGE},`]
  for (let i = 1; i < RECORDS; i++)
    lines.push(`${20 + ((i * 37) % 70)},${(18 + ((i * 13) % 200) / 10).toFixed(1)}`)
  return `${lines.join('\n')}\n`
}

type Released = OutputValue | Withheld
const TRUE_MEAN_AGE =
  (TARGET_AGE +
    Array.from({ length: RECORDS - 1 }, (_, i) => 20 + (((i + 1) * 37) % 70)).reduce((a, b) => a + b, 0)) /
  RECORDS
const sealing = generateSealingKey()
const jobId = (k: number) => `0x${k.toString(16).padStart(64, '0')}` as Hex32

let h: CommitteeJobHarness
beforeAll(async () => {
  h = await committeeJobHarness(csv(), schema, { ...OPEN_POLICY, minAggregation: 50 }, 'attacks')
}, 240_000)

const S = [1, 2, 4]

/** Phase 1 of members 1, 2 and 4's release: what the committee gossips before any block fixes S. */
function scoreShares(k: number, specInput: unknown) {
  const spec = parseSpec(specInput)
  const { circuit, cts, coefficients } = h.evaluate(spec)
  const scoreIndices = scoreStats(circuit, h.manifest, spec.expect)
  const releases = S.map((m) =>
    memberRelease({
      ...h.opening(m, jobId(k), jobId(1000 + k), cts, coefficients),
      scoreIndices,
      plan: planPrivacy(spec, circuit, h.manifest),
    }),
  )
  return { spec, specInput, circuit, cts, coefficients, scoreIndices, releases, resultHash: jobId(1000 + k) }
}

/** Phase 2 as the members of S run it once the block released the job: gated on the block, then shares with noise. */
function outputShares(job: LedgerJob, view: ReturnType<typeof scoreShares>): ThresholdRelease[] {
  const set = releasableSet(job)
  if (!set) return view.releases
  return view.releases.map((r) => {
    const m = r.share.member
    const outputs = memberOutputs({
      ...h.opening(m, job.jobId, view.resultHash, view.cts, view.coefficients),
      participants: set,
      plan: planPrivacy(view.spec, view.circuit, h.manifest),
      buyerKey: sealing.publicKey,
    })
    return { ...r, outputs }
  })
}

/** The score exactly as the block combines it: members 1, 2, 4's signed score shares for {1, 2, 4}. */
function blockScore(view: ReturnType<typeof scoreShares>) {
  const set = view.releases.map((r) => r.share.sets.find((s) => s.participants.join() === S.join())!)
  const constants = view.releases[0]!.share.constants
  const opened = view.scoreIndices.map((_, k) =>
    combineStatResidues(
      h.tc.basis.primes,
      { c0: constants[k]!.c0.map(BigInt), scale: constants[k]!.scale },
      set.map((s) => s.stats[k]!.map(BigInt)),
    ),
  )
  return scoreFromStats(h.manifest, view.circuit, view.spec.expect, view.scoreIndices, opened)
}

/** The job as every validator's ledger holds it once the block with its scored entry is decided. */
function releasedJob(k: number, view: ReturnType<typeof scoreShares>): LedgerJob {
  const buyer = generatePrivateKey()
  const request = signJobRequest(h.domain, buyer, {
    version: 1,
    vaultId: h.manifest.vaultId as Hex32,
    algorithm: { specHash: specHash(view.specInput), spec: view.specInput as never },
    buyer: addressOfPrivateKey(buyer),
    maxPrice: '10',
    deadline: 100,
    nonce: jobId(k),
    sealingPublicKey: sealing.publicKey,
  })
  return {
    jobId: jobId(k),
    request,
    admittedHeight: 1,
    certified: { height: 2, resultHash: view.resultHash, execEnvHash: jobId(7) },
    released: {
      height: 3,
      qualityScore: fixedScore(blockScore(view)).qualityScore,
      sealedHash: jobId(8),
      participants: S,
    },
  }
}

/** What the buyer combines from everything the members sent. */
function buyerOutputs(job: LedgerJob, view: ReturnType<typeof scoreShares>) {
  const opened = openBuyerShares(outputShares(job, view), sealing.privateKey, {
    jobId: job.jobId,
    resultHash: view.resultHash,
  })
  const { stats, participants } = combineBuyerShares(h.tc.basis.primes, opened, 3)
  return finishThreshold(h.manifest, view.spec, stats, participants.length).outputs
}

describe('threshold release attacks (n = 4, t = 3)', () => {
  it('a differencing buyer: two jobs differing by one record recover its value', () => {
    const outputs = (k: number, weights: Record<string, number>) => {
      const view = scoreShares(k, {
        version: 1,
        outputs: { s: { op: 'weighted_sum', weights, significantDigits: 12 } },
      })
      return buyerOutputs(releasedJob(k, view), view).s as Released
    }
    const all = outputs(1, { age: 1 })
    // bmi is missing only in record 0, so this sums every age but the target's
    const without = outputs(2, { age: 1, bmi: 1e-9 })
    if (!('value' in all) || !('value' in without)) throw new Error('expected two sums')
    const recovered = all.value - without.value
    const stated = Math.hypot(
      (all as { error95?: { value?: number } }).error95?.value ?? 0,
      (without as { error95?: { value?: number } }).error95?.value ?? 0,
    )
    console.log(
      `differencing: ${all.value} - ${without.value} = ${recovered} (target ${TARGET_AGE}), stated 95% error of the difference ${stated}`,
    )
    // The secure outcome: each sum carries the job's privacy noise, and the release says how much,
    // so the difference is uncertain by far more than a year of age (owner mode states about 220).
    expect(stated).toBeGreaterThan(20)
  })

  it('a job certified below its minQuality: the buyer must not get its outputs', () => {
    // 120 records where the buyer asks for at least 10,000: the sample-size component sinks the score.
    const view = scoreShares(3, {
      version: 1,
      outputs: { mean_age: { op: 'mean', of: 'age' } },
      expect: { minRecords: 10_000, minQuality: 0.9 },
    })
    const score = blockScore(view)
    expect(reachesMinQuality(score.score, view.spec.expect)).toBe(false)
    const job = releasedJob(3, view)
    // No member of S may produce output shares for it, so the buyer has nothing to combine.
    expect(releasableSet(job)).toBeUndefined()
    let leaked: Released | undefined
    try {
      leaked = buyerOutputs(job, view).mean_age as Released
    } catch (e) {
      console.log('rejected job: the buyer gets', (e as Error).message)
    }
    console.log(
      `rejected job: score ${score.score} < minQuality 0.9; the buyer combined mean_age = ${leaked && 'value' in leaked ? leaked.value : 'nothing'} (plaintext ${TRUE_MEAN_AGE})`,
    )
    expect(leaked).toBeUndefined()
  })

  it('a buyer colluding with one member cannot cancel the honest noises across the score sets', () => {
    const spec = parseSpec({ version: 1, outputs: { mean_age: { op: 'mean', of: 'age' } } })
    const { circuit, cts, coefficients, oracle } = h.evaluate(spec)
    const scoreIndices = scoreStats(circuit, h.manifest, spec.expect)
    const plan = planPrivacy(spec, circuit, h.manifest)
    // With fresh noise per set the attack's error is a sum of nine members' score noises (the stat's
    // planned deviation widened for the four sets): measured 1.0 to 57 a stat, rms 25-31. One attempt
    // fell within 100 smudging bounds (0.73) of the exact value in 1-2.5% of runs (4·10⁶ simulated sums
    // at that rms; one real run here saw 1.0), so the check takes the rms of five jobs' attempts,
    // below 0.73 with odds under 1e-7. Were each member's noise one sample for all its sets, every
    // attempt would cancel to the smudging (at most 12 bounds, 0.09) and the rms would fail.
    const JOBS = 5
    const errors: number[] = []
    let smudging = 0
    for (let j = 0; j < JOBS; j++) {
      const job = jobId(40 + j)
      const result = jobId(1040 + j)
      // Every member's phase-1 score shares, for all four sets of three (n = 4, t = 3).
      const releases = [1, 2, 3, 4].map((m) =>
        memberRelease({ ...h.opening(m, job, result, cts, coefficients), scoreIndices, plan }),
      )
      scoreIndices.forEach((stat, k) => {
        const constants = releases[0]!.share.constants[k]!
        smudging = Math.max(smudging, (7.5 * 2 ** DEFAULT_SMUDGING_BITS) / constants.scale)
        const primes = h.tc.basis.primes.slice(0, constants.c0.length)
        const shareOf = (m: number, set: number[]) =>
          releases[m - 1]!.share.sets.find((x) => x.participants.join() === set.join())!.stats[k]!.map(BigInt)
        const combine = (residues: Parameters<typeof combineStatResidues>[2]) =>
          combineStatResidues(primes, { c0: constants.c0.map(BigInt), scale: constants.scale }, residues)
        // Member 1 colludes: it knows its own share of each set without the noise (its key and seed).
        const own = (set: number[]) =>
          statShare(
            h.tc.basis,
            h.opening(1, job, result, cts, coefficients).key,
            {
              id: `${job}/${result}/score/${stat}`,
              ciphertext: cts[stat]!,
              participants: set,
              smudgingBits: DEFAULT_SMUDGING_BITS,
            },
            coefficients[stat],
          )
        const withOwn = (set: number[]) =>
          combine([own(set), ...set.filter((m) => m !== 1).map((m) => shareOf(m, set))])
        // Were each member's noise one sample for all its sets, a + b + c - 2d would be x exactly.
        const a = withOwn([1, 2, 3])
        const b = withOwn([1, 2, 4])
        const c = withOwn([1, 3, 4])
        const d = combine([2, 3, 4].map((m) => shareOf(m, [2, 3, 4])))
        errors.push(a + b + c - 2 * d - oracle[stat]!)
      })
    }
    const rms = Math.sqrt(errors.reduce((acc, e) => acc + e * e, 0) / errors.length)
    console.log(
      `collusion across score sets, ${errors.length} attempts: off by ${errors.map((e) => e.toFixed(2)).join(', ')}; ` +
        `rms ${rms.toFixed(2)} (smudging bound ${smudging})`,
    )
    expect(rms).toBeGreaterThan(100 * smudging)
  })
})
