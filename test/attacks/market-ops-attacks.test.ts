import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Evaluator } from '../../sandbox/evaluator/evaluator.ts'
import { trustedRun } from '../../sandbox/run.ts'
import { parseSpec } from '../../sandbox/spec/parse.ts'
import { OPEN_POLICY, TEST_PASSPHRASE, type Workspace, workspace } from '../../sandbox/testing/fixtures.ts'
import type { VaultSchema } from '../../sandbox/vault/schema.ts'

/**
 * An adversarial buyer against the market ops (heatmaps, group means,
 * quantiles) on a 120-record vault with minAggregation 50, whose seller
 * allows epsilon 100 per job: the privacy noise alone protects little, so
 * the minimum aggregation must. The target is record 0: age 67, in region
 * north with 59 others, the only flagged record there (all 60 of south are
 * flagged, so 61 are in all), and the only one in age band [60,90].
 */
const TARGET_AGE = 67
const RECORDS = 120

const schema: VaultSchema = {
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 90, nullable: false },
    { name: 'band', type: 'bucketed', edges: [18, 40, 60, 90], nullable: false },
    { name: 'flag', type: 'boolean', nullable: false },
    { name: 'region', type: 'categorical', categories: ['north', 'south'], nullable: false },
  ],
}

function csv(): string {
  const lines = ['age,band,flag,region', `${TARGET_AGE},${TARGET_AGE},true,north`]
  for (let i = 1; i < RECORDS; i++) {
    const age = 20 + ((i * 37) % 39)
    lines.push(`${age},${age},${i >= 60},${i < 60 ? 'north' : 'south'}`)
  }
  return `${lines.join('\n')}\n`
}

describe('attacks through the market ops', () => {
  let ws: Workspace
  let evaluator: Evaluator
  let dir: string
  beforeAll(async () => {
    ws = await workspace()
    evaluator = new Evaluator({ workers: 1 })
    evaluator.start()
    const policy = {
      ...OPEN_POLICY,
      minAggregation: 50,
      privacy: { epsilon: 1000, maxEpsilonPerJob: 100, unit: 'record' as const },
    }
    dir = (await ws.vault('victim', csv(), schema, policy)).dir
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

  it('a group mean of flag*age does not single out the one flagged record of a large group', async () => {
    const out = await run({ g: { op: 'group_mean', of: 'flag*age', by: 'region', epsilon: 100 } })
    const g = out.g!
    console.log('group mean of flag*age:', JSON.stringify(g))
    if ('withheld' in g || g.op !== 'group_mean') return
    // north holds 60 records but only one flagged: its mean times its count would be the target's age
    const north = g.groups.north
    if (north) console.log('group mean of flag*age: estimate of the target age', north.mean * north.count)
    expect(north).toBeNull()
    expect(g.groups.south).not.toBeNull()
  })

  it('a group mean by a band the target is alone in is suppressed', async () => {
    const out = await run({ g: { op: 'group_mean', of: 'age', by: 'band', epsilon: 100 } })
    const g = out.g!
    console.log('group mean by band:', JSON.stringify(g))
    if ('withheld' in g || g.op !== 'group_mean') return
    expect(g.groups['[60,90]']).toBeNull()
    // nor does its stated error, which would say how few records the mean is over
    expect(g.error95).not.toHaveProperty('mean:[60,90]')
  })

  it('a heatmap too fine for the records is refused before any work', async () => {
    await expect(
      run({ h: { op: 'histogram2d', of: ['region', 'band'], epsilon: 100 } }),
    ).rejects.toMatchObject({
      code: 'AGGREGATION_TOO_SMALL',
      field: 'outputs.h',
    })
  })

  it('an extreme quantile that would locate the oldest record is refused', async () => {
    await expect(
      run({ q: { op: 'quantiles', of: 'band', q: [0.5, 0.99], epsilon: 100 } }),
    ).rejects.toMatchObject({
      code: 'AGGREGATION_TOO_SMALL',
      field: 'outputs.q.q.1',
    })
  })
})
