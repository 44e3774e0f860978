import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OutputValue, Withheld } from '../../sandbox/decrypt/finish.ts'
import { Evaluator } from '../../sandbox/evaluator/evaluator.ts'
import { trustedRun } from '../../sandbox/run.ts'
import { parseSpec } from '../../sandbox/spec/parse.ts'
import { OPEN_POLICY, TEST_PASSPHRASE, type Workspace, workspace } from '../../sandbox/testing/fixtures.ts'
import type { VaultSchema } from '../../sandbox/vault/schema.ts'

/**
 * An adversarial buyer against a 120-record vault with minAggregation 50,
 * through the real sandbox (real SEAL). The target is record 0: age 67, the
 * only record with `flag`, the only one in group `b`, the only one whose bmi
 * is missing. Each test states what the buyer must not learn: either the
 * output is withheld, or the stated 95% error of the buyer's estimate is
 * wider than a bound that makes the target's value uncertain.
 */
const TARGET_AGE = 67
const RECORDS = 120

const schema: VaultSchema = {
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 90, nullable: false },
    { name: 'bmi', type: 'number', min: 10, max: 50, nullable: true },
    { name: 'flag', type: 'boolean', nullable: false },
    { name: 'grp', type: 'categorical', categories: ['a', 'b'], nullable: false },
    { name: 'zero', type: 'integer', min: -10, max: 10, nullable: false },
  ],
}

function csv(): string {
  const lines = ['age,bmi,flag,grp,zero', `${TARGET_AGE},,true,b,0`]
  for (let i = 1; i < RECORDS; i++) {
    lines.push(`${20 + ((i * 37) % 70)},${(18 + ((i * 13) % 200) / 10).toFixed(1)},false,a,0`)
  }
  return `${lines.join('\n')}\n`
}

type Released = OutputValue | Withheld

/** The stated 95% error of one released field, 0 when the release states none. */
function stated95(out: Released, field = 'value'): number {
  const error95 = (out as { error95?: Record<string, number> }).error95
  return error95?.[field] ?? 0
}

const scalar = (out: Released): number => {
  if (!('value' in out)) throw new Error(`expected a value, got ${JSON.stringify(out)}`)
  return out.value
}

describe('attacks on a 120-record vault with minAggregation 50', () => {
  let ws: Workspace
  let evaluator: Evaluator
  let dir: string
  beforeAll(async () => {
    ws = await workspace()
    evaluator = new Evaluator({ workers: 1 })
    evaluator.start()
    dir = (await ws.vault('victim', csv(), schema, { ...OPEN_POLICY, minAggregation: 50 })).dir
  })
  afterAll(async () => {
    await evaluator.stop()
    await ws?.dispose()
  })

  const run = async (outputs: Record<string, unknown>) =>
    (
      await trustedRun({
        vaultDir: dir,
        spec: parseSpec({ version: 1, outputs }),
        keysDir: ws.keysDir,
        passphrase: TEST_PASSPHRASE,
        evaluator,
      })
    ).finished.outputs

  it('an implicit filter (sum of flag*age) does not reveal the flagged record', async () => {
    const out = await run({ t: { op: 'sum', of: 'flag*age', significantDigits: 12 } })
    const t = out.t!
    console.log('implicit filter:', JSON.stringify(t))
    if ('withheld' in t) return
    // Ages span 72 years: an estimate within ±36 would already narrow it down.
    expect(stated95(t)).toBeGreaterThanOrEqual(36)
  })

  it('zero weights cannot select the records with a missing column', async () => {
    const attack = {
      all: { op: 'weighted_sum', weights: { age: 1 }, significantDigits: 12 },
      with_bmi: { op: 'weighted_sum', weights: { age: 1, bmi: 0 }, significantDigits: 12 },
    }
    let out: Record<string, Released>
    try {
      out = await run(attack)
    } catch (e) {
      expect((e as { code?: string }).code).toBe('ZERO_WEIGHT')
      return
    }
    console.log('zero weights:', JSON.stringify(out), 'difference', scalar(out.all!) - scalar(out.with_bmi!))
    expect(stated95(out.all!) + stated95(out.with_bmi!)).toBeGreaterThanOrEqual(36)
  })

  it('two jobs cannot difference out one record (tiny weight instead of zero)', async () => {
    const first = await run({ s: { op: 'sum', of: 'age', significantDigits: 12 } })
    const second = await run({
      s: { op: 'weighted_sum', weights: { age: 1, bmi: 1e-9 }, significantDigits: 12 },
    })
    const a = first.s!
    const b = second.s!
    console.log('two jobs:', JSON.stringify(a), JSON.stringify(b))
    if ('withheld' in a || 'withheld' in b) return
    console.log('two jobs: difference', scalar(a) - scalar(b))
    // Independent noise in each job: the difference's error is at least each one's.
    expect(Math.max(stated95(a), stated95(b))).toBeGreaterThanOrEqual(36)
  })

  it('a withheld histogram bucket is not n minus the others', async () => {
    const out = await run({ h: { op: 'histogram', of: 'grp' } })
    const h = out.h!
    console.log('histogram:', JSON.stringify(h))
    if ('withheld' in h || h.op !== 'histogram') return
    const a = h.buckets.a
    if (a === null || a === undefined) return
    console.log('histogram: complement of a', h.n - a)
    // The target is in b or not: the buyer's count must be uncertain by more than that one record.
    expect(stated95(h, 'bucket')).toBeGreaterThanOrEqual(1)
  })

  it('an exact-zero aggregate releases no CKKS decryption error', async () => {
    const out = await run({ z: { op: 'sum', of: 'zero', significantDigits: 12 } })
    const z = out.z!
    console.log('exact zero:', JSON.stringify(z))
    if ('withheld' in z) return
    const grid = (z as { grid?: Record<string, number> }).grid?.value
    expect(grid, 'released values sit on a stated grid').toBeGreaterThan(0)
    const steps = scalar(z) / grid!
    expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-6)
    expect(stated95(z)).toBeGreaterThan(0)
  })
})
