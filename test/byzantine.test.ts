import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cluster, type ClusterNode, startCluster } from '../devnet/cluster.ts'
import { buyer, publishVault, signedJobRequest, submitJob, waitFor } from '../devnet/testing/actors.ts'
import type { NodeStatus } from '../node/api/index.ts'
import type { JobRecord, StoredBlock } from '../node/storage/index.ts'
import { connectValidatorRegistry, type Hex32, jobIdOf } from '../protocol/index.ts'
import type { VaultManifest } from '../sandbox/index.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from '../sandbox/testing/regression.ts'
import type { ByzantinePlan } from './support/byzantine-network.ts'

/**
 * Four validator processes on a real chain and real libp2p; the fourth runs
 * test/support/byzantine-daemon.ts: the real daemon publishing proposals with
 * an unpaid admission or a forged release, and a second, conflicting prevote
 * next to each of its own.
 */
const BYZANTINE = fileURLToPath(new URL('./support/byzantine-daemon.ts', import.meta.url))
const TIMEOUT = 150_000

const height = async (node: ClusterNode) => (await node.api<NodeStatus>('/v1/status')).body.height

async function stageOf(node: ClusterNode, jobId: Hex32): Promise<JobRecord | undefined> {
  const { status, body } = await node.api<JobRecord>(`/v1/jobs/${jobId}`)
  return status === 200 ? body : undefined
}

async function allAnchored(nodes: readonly ClusterNode[], jobId: Hex32): Promise<void> {
  await waitFor(
    `job ${jobId} anchored on the honest nodes`,
    async () => {
      const records = await Promise.all(nodes.map((n) => stageOf(n, jobId)))
      return records.every((r) => r?.stage === 'anchored') ? true : undefined
    },
    TIMEOUT,
  )
}

/** Log lines of a node that are JSON objects with every given field. */
async function logged(node: ClusterNode, fields: Record<string, unknown>): Promise<number> {
  const lines = (await node.log()).split('\n').filter((l) => l.startsWith('{'))
  return lines.filter((line) => {
    const entry = JSON.parse(line) as Record<string, unknown>
    return Object.entries(fields).every(([k, v]) => entry[k] === v)
  }).length
}

describe('a Byzantine validator among four daemons', () => {
  let dir: string
  let planFile: string
  let cluster: Cluster
  let vault: VaultManifest
  let honest: ClusterNode[]
  let byzantine: ClusterNode

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-byzantine-'))
    planFile = join(dir, 'byzantine-plan.json')
    await writeFile(planFile, '{}')
    cluster = await startCluster({
      dir,
      validators: 4,
      entry: (i) => (i === 3 ? BYZANTINE : undefined),
      nodeEnv: (i): Record<string, string> => (i === 3 ? { TCF_BYZANTINE_PLAN: planFile } : {}),
    })
    honest = cluster.nodes.slice(0, 3) as ClusterNode[]
    byzantine = cluster.nodes[3]!
    vault = await publishVault(
      honest[0]!,
      REGRESSION_VAULT,
      cluster.chain.wallet(1),
      cluster.network.addresses,
    )
  })

  afterAll(async () => {
    await cluster?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const submit = async (node: ClusterNode) =>
    submitJob(node, {
      buyer: buyer(cluster.chain.wallet(2)),
      domain: cluster.network.domain,
      addresses: cluster.network.addresses,
      manifest: vault,
      spec: REGRESSION_SPEC,
      deadline: (await height(node)) + 300,
    })

  it('is refused, slashed on chain, and cannot stop jobs from completing', async () => {
    const first = await submit(honest[0]!)
    expect(first.status).toBe(202)
    await allAnchored(honest, first.jobId)

    // A job nobody paid for: signed by a buyer, never escrowed.
    const { signed: unpaidRequest, jobId: unpaidId } = signedJobRequest({
      buyer: buyer(cluster.chain.wallet(3)),
      domain: cluster.network.domain,
      manifest: vault,
      spec: REGRESSION_SPEC,
      deadline: (await height(honest[1]!)) + 300,
    })
    const plan: ByzantinePlan = { unpaid: unpaidRequest, forgeRelease: true, equivocate: true }
    await writeFile(planFile, JSON.stringify(plan))

    for (const act of ['unpaid-admission', 'forged-release', 'equivocation']) {
      await waitFor(
        `the Byzantine node to try ${act}`,
        async () => ((await logged(byzantine, { byzantine: act })) > 0 ? true : undefined),
        TIMEOUT,
      )
    }
    for (const code of ['ESCROW_MISSING', 'NOT_VAULT_OWNER']) {
      await waitFor(
        `an honest node refusing a block with ${code}`,
        async () => {
          const counts = await Promise.all(honest.map((n) => logged(n, { msg: 'block refused', code })))
          return counts.some((c) => c > 0) ? true : undefined
        },
        TIMEOUT,
      )
    }

    const registry = connectValidatorRegistry(
      cluster.network.addresses.validatorRegistry,
      cluster.chain.provider,
    )
    await waitFor(
      'the equivocator slashed on chain',
      async () => ((await registry.validator(byzantine.address as Hex32)).stake === 0n ? true : undefined),
      TIMEOUT,
    )
    const filter = registry.contract.filters.Slashed
    if (!filter) throw new Error('ValidatorRegistry ABI has no Slashed event')
    const slashes = await registry.contract.queryFilter(filter(byzantine.address), 0)
    expect(slashes).toHaveLength(1)
    const honestAddresses = honest.map((n) => n.address.toLowerCase())
    const reporter = String((slashes[0] as unknown as { args: unknown[] }).args[2]).toLowerCase()
    expect(honestAddresses).toContain(reporter)

    // Jobs still complete with the adversary still at it.
    const second = await submit(honest[2]!)
    expect(second.status).toBe(202)
    await allAnchored(honest, second.jobId)

    // No decided block carries the unpaid job or a release by anyone but the owner, and the
    // honest nodes hold the same blocks.
    const top = Math.min(...(await Promise.all(honest.map(height))))
    const owner = cluster.chain.wallet(1).address.toLowerCase()
    for (let h = 1; h <= top; h++) {
      const blocks = await Promise.all(honest.map((n) => n.api<StoredBlock>(`/v1/blocks/${h}`)))
      expect(new Set(blocks.map((b) => b.body.blockHash)).size, `height ${h}`).toBe(1)
      const { block } = blocks[0]!.body
      expect(block.admitted.map((r) => jobIdOf(r.request))).not.toContain(unpaidId)
      for (const r of block.released) expect(r.owner.toLowerCase()).toBe(owner)
    }
    for (const node of honest) expect((await stageOf(node, unpaidId))?.admittedHeight).toBeUndefined()
  })
})
