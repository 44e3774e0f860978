import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cluster, type ClusterNode, startCluster } from '../devnet/cluster.ts'
import { buyer, publishVault, submitJob, waitFor } from '../devnet/testing/actors.ts'
import type { JobRecord, VaultBudget } from '../node/sdk/index.ts'
import type { Hex32 } from '../protocol/index.ts'
import { type NodeStatus, signRequest } from '../protocol/index.ts'
import type { VaultManifest } from '../sandbox/index.ts'
import { OPEN_POLICY, type Workspace, workspace } from '../sandbox/testing/fixtures.ts'

/**
 * The privacy budget on four real validator daemons: a vault that allows
 * epsilon 3 in all and 1 per job admits three jobs, the fourth is refused
 * with BUDGET_EXHAUSTED, every node reports the same budget at the same
 * height, and a node killed and restarted rebuilds the same from its blocks.
 * Result ciphertexts go only to validators and the vault's owner.
 */
const TIMEOUT = 90_000
const spec = { version: 1, outputs: { m: { op: 'mean', of: 'a' } } }

async function budget(node: ClusterNode, vaultId: Hex32): Promise<VaultBudget> {
  const { status, body } = await node.api<VaultBudget>(`/v1/vaults/${vaultId}/budget`)
  if (status !== 200) throw new Error(`budget: ${status}`)
  return body
}

describe('a vault privacy budget kept by four validators', () => {
  let dir: string
  let cluster: Cluster
  let ws: Workspace
  let vault: VaultManifest
  let admittedJobs: Hex32[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-budget-'))
    cluster = await startCluster({ dir, validators: 4 })
    ws = await workspace()
    const csv = `a,b\n${Array.from({ length: 60 }, (_, i) => `${i % 10},${(i * 7) % 13}`).join('\n')}\n`
    const built = await ws.vault(
      'budgeted',
      csv,
      {
        columns: [
          { name: 'a', type: 'integer', min: 0, max: 9, nullable: false },
          { name: 'b', type: 'integer', min: 0, max: 12, nullable: false },
        ],
      },
      { ...OPEN_POLICY, privacy: { epsilon: 3, maxEpsilonPerJob: 1, unit: 'record' } },
    )
    vault = await publishVault(
      cluster.nodes[0]!,
      built.dir,
      cluster.chain.wallet(1),
      cluster.network.addresses,
    )
  })

  afterAll(async () => {
    await cluster?.stop()
    await ws?.dispose()
    await rm(dir, { recursive: true, force: true })
  })

  const submit = async (node: ClusterNode) =>
    submitJob(node, {
      buyer: buyer(cluster.chain.wallet(2)),
      domain: cluster.network.domain,
      addresses: cluster.network.addresses,
      manifest: vault,
      spec,
      deadline: (await node.api<NodeStatus>('/v1/status')).body.height + 60,
    })

  it('admits jobs until BUDGET_EXHAUSTED, every node agreeing, a restarted one too', async () => {
    const vaultId = vault.vaultId as Hex32
    const before = await budget(cluster.nodes[0]!, vaultId)
    expect(before).toMatchObject({ epsilon: 3, maxEpsilonPerJob: 1, spent: 0, remaining: 3, jobs: 0 })

    for (const i of [0, 1, 2]) {
      const submission = await submit(cluster.nodes[i]!)
      expect(submission.status, JSON.stringify(submission.body)).toBe(202)
      await waitFor(
        `job ${i + 1} admitted`,
        async () => ((await budget(cluster.nodes[i]!, vaultId)).jobs === i + 1 ? true : undefined),
        TIMEOUT,
      )
    }
    const refused = await submit(cluster.nodes[3]!)
    expect(refused.status).toBe(422)
    expect(refused.body).toMatchObject({
      error: {
        code: 'BUDGET_EXHAUSTED',
        message: expect.stringMatching(/has epsilon 0 left of 3; the job needs 1/),
      },
    })

    // Every node, at one height, reports the same budget.
    const agreed = await waitFor(
      'all four nodes at the same height with the three admissions',
      async () => {
        const all = await Promise.all(cluster.nodes.map((n) => budget(n, vaultId)))
        return new Set(all.map((b) => b.height)).size === 1 && all.every((b) => b.jobs === 3)
          ? all
          : undefined
      },
      TIMEOUT,
    )
    for (const b of agreed) expect(b).toEqual({ ...agreed[0], spent: 3, remaining: 0 })

    // A validator killed and restarted replays its blocks into the same budget.
    const victim = cluster.nodes[2]!
    await victim.signal('SIGKILL')
    await victim.start()
    const restored = await waitFor('the restarted node to answer', () => budget(victim, vaultId), TIMEOUT)
    expect(restored).toMatchObject({ spent: 3, remaining: 0, jobs: 3 })
    admittedJobs = await jobsOf(cluster.nodes[0]!, vaultId)
  })

  it('serves a result ciphertext only to validators and the vault owner', async () => {
    const node = cluster.nodes[0]!
    const jobId = admittedJobs[0]!
    const record = await waitFor(
      'a result bundle on node 0',
      async () => {
        const { body } = await node.api<JobRecord>(`/v1/jobs/${jobId}`)
        return body.resultBlob ? body : undefined
      },
      TIMEOUT,
    )
    const path = `/v1/blobs/${record.resultBlob}`
    const get = (key?: Hex32) =>
      fetch(`${node.apiUrl}${path}`, key ? { headers: signRequest(key, 'GET', path, new Uint8Array()) } : {})
    const anyone = await get()
    console.log(`unsigned GET ${path}: ${anyone.status}, ${(await anyone.arrayBuffer()).byteLength} bytes`)
    expect(anyone.status).toBe(401)
    const stranger = await get(cluster.chain.wallet(2).privateKey as Hex32)
    expect(stranger.status).toBe(403)
    const owner = await get(cluster.chain.wallet(1).privateKey as Hex32)
    expect(owner.status).toBe(200)
    const validator = await get(cluster.network.validatorKeys[1]!)
    expect(validator.status).toBe(200)
    // Vault blobs (ciphertexts of the records, keys) stay public: every validator and buyer needs them.
    const manifestBlobStatus = (await fetch(`${node.apiUrl}/v1/blobs/${vault.keys.publicKey}`)).status
    expect([200, 404]).toContain(manifestBlobStatus)
  })
})

async function jobsOf(node: ClusterNode, vaultId: Hex32): Promise<Hex32[]> {
  const { body } = await node.api<{ jobs: JobRecord[] }>(`/v1/jobs?vault=${vaultId}`)
  return body.jobs.filter((j) => j.admittedHeight !== undefined).map((j) => j.jobId as Hex32)
}
