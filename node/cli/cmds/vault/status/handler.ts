import { Client } from '../../../../sdk/index.ts'
import { idArg } from '../../job/args.ts'
import type { StatusArgs } from './options.ts'

/** `tcf vault status`: the vault's privacy budget as the network's ledger holds it. */
export async function vaultStatusHandler(args: StatusArgs): Promise<void> {
  const budget = await new Client({ url: args.node }).budget(idArg(args.vault))
  if (args.json) {
    console.log(JSON.stringify(budget))
    return
  }
  console.log(`vault ${budget.vaultId} at height ${budget.height}`)
  console.log(
    `privacy budget (per ${budget.unit}): epsilon ${budget.spent} spent of ${budget.epsilon}, ${budget.remaining} left; at most ${budget.maxEpsilonPerJob} per job`,
  )
  console.log(`${budget.jobs} admitted job${budget.jobs === 1 ? '' : 's'} charged to it`)
}
