import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BUDGET_FILE, chargeBudgetFile } from './budget-file.ts'

const policy = { epsilon: 2.5, maxEpsilonPerJob: 1, unit: 'record' as const }
const vaultId = `0x${'ab'.repeat(32)}`
const run = (epsilonMicros: number) => ({ circuitId: `0x${'cd'.repeat(32)}`, epsilonMicros })

describe('the trusted run budget ledger', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-budget-file-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('charges each run and refuses one that would overspend, saying what is left', async () => {
    expect(await chargeBudgetFile(dir, vaultId, policy, run(1_000_000))).toEqual({
      totalMicros: 2_500_000,
      spentMicros: 1_000_000,
      remainingMicros: 1_500_000,
    })
    await chargeBudgetFile(dir, vaultId, policy, run(1_000_000))
    await expect(chargeBudgetFile(dir, vaultId, policy, run(1_000_000))).rejects.toMatchObject({
      code: 'BUDGET_EXHAUSTED',
      message: expect.stringMatching(/epsilon 0\.5 left of 2\.5; this run needs 1$/),
    })
    const ledger = JSON.parse(await readFile(join(dir, BUDGET_FILE), 'utf8'))
    expect(ledger).toMatchObject({ vaultId, spentMicros: 2_000_000 })
    expect(ledger.runs).toHaveLength(2)
    await chargeBudgetFile(dir, vaultId, policy, run(500_000))
  })

  it('refuses to run on a damaged or foreign ledger instead of starting again from zero', async () => {
    await writeFile(join(dir, BUDGET_FILE), '{"version":1,')
    await expect(chargeBudgetFile(dir, vaultId, policy, run(1))).rejects.toMatchObject({
      code: 'BUDGET_EXHAUSTED',
    })
    await writeFile(
      join(dir, BUDGET_FILE),
      JSON.stringify({ version: 1, vaultId: `0x${'ee'.repeat(32)}`, spentMicros: 0, runs: [] }),
    )
    await expect(chargeBudgetFile(dir, vaultId, policy, run(1))).rejects.toMatchObject({
      code: 'BUDGET_EXHAUSTED',
    })
  })
})
