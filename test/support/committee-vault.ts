import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Cluster, startCluster } from '../../devnet/cluster.ts'
import type { Hex32 } from '../../protocol/index.ts'
import { tcfJson } from './cli.ts'
import { registerCommitteeKey, type SeededCommittee, seedCommittee } from './seed-committee.ts'

// What the committee-vault e2e tests share: a cluster holding a seeded committee key, the demo
// data, and a vault created under the key with the CLI, as a seller would.

export const DEMO_DATA = new URL('../../devnet/data/', import.meta.url).pathname

/**
 * Validator daemons whose keyrings hold epoch 1's committee key, registered on chain before they
 * start (a node running its DKG service then finds the epoch's key done). `env` goes to every node.
 */
export async function startSeededCluster(
  dir: string,
  validators: number,
  env: Record<string, string> = {},
): Promise<{ cluster: Cluster; seeded: SeededCommittee }> {
  let seeded: SeededCommittee | undefined
  const cluster = await startCluster({
    dir,
    validators,
    env,
    beforeStart: async (nodes, net, chain) => {
      seeded = await seedCommittee(nodes, net, chain)
      await registerCommitteeKey(chain, net, seeded)
    },
  })
  return { cluster, seeded: seeded! }
}

/** The first `records` rows of the demo's heart.csv, written to `path`. */
export async function writeHeartCsv(path: string, records: number): Promise<void> {
  const csv = (await readFile(join(DEMO_DATA, 'heart.csv'), 'utf8'))
    .split('\n')
    .slice(0, records + 1)
    .join('\n')
  await writeFile(path, `${csv}\n`)
}

export interface CreatedCommitteeVault {
  readonly manifest: { vaultId: Hex32; keyHolder?: unknown; keys: { publicKey: Hex32 } }
}

/** `tcf vault create --committee` of `csv` with the demo's schema and policy, under the key `nodeUrl` serves. */
export function createCommitteeVault(
  nodeUrl: string,
  csv: string,
  out: string,
  env: Record<string, string>,
): Promise<CreatedCommitteeVault> {
  return tcfJson<CreatedCommitteeVault>(
    [
      'vault',
      'create',
      csv,
      '--schema',
      join(DEMO_DATA, 'schema.json'),
      '--policy',
      join(DEMO_DATA, 'policy.json'),
      '--committee',
      '--node',
      nodeUrl,
      '--out',
      out,
      '--json',
    ],
    env,
  )
}
