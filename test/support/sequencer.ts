import { relative } from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Seconds each slow file took in CI (the per-file times of a full `npm test` on the 2-core CI
 * machine), for a fresh clone, which has no vitest cache of durations. Without them vitest starts
 * the largest files first, and on two workers the group then waits on a long file that started
 * last (consensus/sim/seeds, 38 s, ran alone at the end of the unit group). Longest first keeps
 * both workers busy to the end. Files not listed (a few seconds or less) run after these.
 * Approximate on purpose: only the order matters, and a file's own cached time, when vitest has
 * one, wins.
 */
const CI_SECONDS: Readonly<Record<string, number>> = {
  'test/compose-devnet.test.ts': 116,
  'test/node-network.test.ts': 91,
  'test/roles.test.ts': 72,
  'test/pool-traffic-e2e.test.ts': 70,
  'test/web.test.ts': 58,
  'test/threshold-e2e.test.ts': 58,
  'test/reshare-e2e.test.ts': 53,
  'consensus/sim/seeds.test.ts': 47,
  'test/dkg.test.ts': 39,
  'node/threshold/dkg-run.test.ts': 39,
  'node/threshold/reshare-run.test.ts': 34,
  'test/cli.test.ts': 34,
  'test/byzantine.test.ts': 30,
  'test/devnet.test.ts': 26,
  'sandbox/ops.test.ts': 23,
  'test/epoch-change.test.ts': 22,
  'test/privacy-budget.test.ts': 21,
  'sandbox/evaluator/stat-cache.test.ts': 20,
  'test/web-contribute-submit.test.ts': 18,
  'test/web-contribute.test.ts': 18,
  'sandbox/threshold/threshold-job.test.ts': 17,
  'test/threshold-release.test.ts': 17,
  'sandbox/evaluator/regression.test.ts': 16,
  'protocol/chain/contracts.test.ts': 15,
  'node/storage/crash.test.ts': 12,
  'sandbox/vault/values-per-slot.test.ts': 11,
  'protocol/chain/artifacts.test.ts': 11,
  'test/attacks/threshold-release-attacks.test.ts': 11,
  'protocol/chain/poolPayouts.test.ts': 10,
  'test/dkg-resend-attack.test.ts': 9,
  'node/chain/chain-client.test.ts': 8,
  'test/pool-payouts.test.ts': 8,
  'test/attacks/api-abuse.test.ts': 7,
  'test/attacks/blob-quota.test.ts': 7,
  'node/chain/settler.test.ts': 6,
  'test/attacks/blob-collection.test.ts': 6,
  'node/chain/anchorer.test.ts': 6,
  'test/attacks/pool-privacy.test.ts': 6,
  'sandbox/evaluator/evaluator.test.ts': 6,
  'sandbox/threshold/kswitch.test.ts': 6,
}

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // The base order (group order, then project, then cached duration or size) breaks ties.
    const base = await super.sort(files)
    const rank = new Map(base.map((spec, i) => [spec, i]))
    const root = this.ctx.config.root
    const seconds = (spec: TestSpecification): number => {
      const file = relative(root, spec.moduleId)
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`)
      return cached ? cached.duration / 1000 : (CI_SECONDS[file] ?? 0)
    }
    return base.sort(
      (a, b) =>
        a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder ||
        seconds(b) - seconds(a) ||
        rank.get(a)! - rank.get(b)!,
    )
  }
}
