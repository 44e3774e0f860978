import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { SandboxError } from '../errors.ts'
import type { PrivacyPolicy } from '../vault/policy.ts'
import { MICROS } from './plan.ts'

/**
 * The trusted run's budget ledger, kept beside the vault: phase 1 has no
 * consensus, so the vault folder itself remembers what earlier runs spent.
 * Amounts are integer millionths of epsilon so that sums are exact.
 */
export const BUDGET_FILE = 'privacy-budget.json'

const BudgetFileSchema = z.strictObject({
  version: z.literal(1),
  vaultId: z.string(),
  spentMicros: z.number().int().min(0),
  runs: z.array(
    z.strictObject({ at: z.string(), circuitId: z.string(), epsilonMicros: z.number().int().min(0) }),
  ),
})
export type BudgetFile = z.infer<typeof BudgetFileSchema>

export interface BudgetState {
  readonly totalMicros: number
  readonly spentMicros: number
  readonly remainingMicros: number
}

export function budgetState(policy: PrivacyPolicy, spentMicros: number): BudgetState {
  const totalMicros = Math.round(policy.epsilon * MICROS)
  return { totalMicros, spentMicros, remainingMicros: Math.max(0, totalMicros - spentMicros) }
}

export async function readBudgetFile(vaultDir: string, vaultId: string): Promise<BudgetFile> {
  const path = join(vaultDir, BUDGET_FILE)
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined
    throw e
  })
  if (text === undefined) return { version: 1, vaultId, spentMicros: 0, runs: [] }
  let parsed: ReturnType<typeof BudgetFileSchema.safeParse>
  try {
    parsed = BudgetFileSchema.safeParse(JSON.parse(text))
  } catch (cause) {
    throw new SandboxError('BUDGET_EXHAUSTED', `${path} is not JSON; refusing to run without a budget`, {
      cause,
    })
  }
  // A damaged or foreign ledger must not reset the budget to zero.
  if (!parsed.success || parsed.data.vaultId !== vaultId) {
    throw new SandboxError('BUDGET_EXHAUSTED', `${path} is not this vault's budget ledger; refusing to run`)
  }
  return parsed.data
}

/**
 * Charges a run before anything is decrypted: a crash after this point
 * loses budget, never privacy. Refuses with BUDGET_EXHAUSTED and what is
 * left when the run would overspend.
 */
export async function chargeBudgetFile(
  vaultDir: string,
  vaultId: string,
  policy: PrivacyPolicy,
  run: { circuitId: string; epsilonMicros: number },
): Promise<BudgetState> {
  const ledger = await readBudgetFile(vaultDir, vaultId)
  const state = budgetState(policy, ledger.spentMicros)
  if (run.epsilonMicros > state.remainingMicros) {
    throw new SandboxError(
      'BUDGET_EXHAUSTED',
      `the vault's privacy budget has epsilon ${state.remainingMicros / MICROS} left of ${policy.epsilon}; this run needs ${run.epsilonMicros / MICROS}`,
    )
  }
  const next: BudgetFile = {
    ...ledger,
    spentMicros: ledger.spentMicros + run.epsilonMicros,
    runs: [...ledger.runs, { at: new Date().toISOString(), ...run }],
  }
  const path = join(vaultDir, BUDGET_FILE)
  await writeFile(`${path}.tmp`, `${JSON.stringify(next, null, 2)}\n`)
  await rename(`${path}.tmp`, path)
  return budgetState(policy, next.spentMicros)
}
