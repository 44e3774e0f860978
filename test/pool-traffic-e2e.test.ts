import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cluster } from '../devnet/cluster.ts'
import { printTrafficReport, runTrafficScenario, type TrafficReport } from '../devnet/traffic.ts'
import { Client } from '../node/sdk/index.ts'
import { DEV_PRIVATE_KEYS, type Hex32 } from '../protocol/index.ts'
import { startSeededCluster } from './support/seed-committee.ts'

/**
 * The traffic scenario of issue #14, headless, on four validator daemons and a real chain: a pool
 * under the seeded committee key, 60 vehicles each contributing a day of trips with its own key to
 * one of the four nodes, admitted by consensus; the snapshot (aggregate bytes and counts) and the
 * payouts root equal on every validator; a vehicle over its bound kept to one contribution; bad
 * contributions refused at the API with their code.
 * Run under the machine-wide lock: flock /tmp/tcf-e2e.lock npx vitest run test/pool-traffic-e2e.test.ts
 */
const VEHICLES = 60

describe('pools on 4 daemons: the traffic scenario, headless', () => {
  let dir: string
  let cluster: Cluster
  let report: TrafficReport

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-pool-'))
    ;({ cluster } = await startSeededCluster(join(dir, 'cluster')))
  }, 300_000)

  afterAll(async () => {
    await cluster?.stop()
    if (dir && !process.env.TCF_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true })
  })

  it('60 vehicles contribute; every validator holds the same snapshot and payouts root; the bound holds', async () => {
    report = await runTrafficScenario({
      dir,
      nodeUrls: cluster.nodes.map((n) => n.apiUrl),
      curatorKey: DEV_PRIVATE_KEYS[1] as Hex32,
      vehicles: VEHICLES,
      say: () => {},
      elapsed: () => '',
      timeoutMs: 180_000,
    })
    printTrafficReport(report, console.log)
    expect(report.admitted).toBe(VEHICLES + 1)
    expect(report.contributors).toBe(VEHICLES + 1)
    expect(report.sameOnAllNodes).toBe(true)
    expect(report.overBound.admitted).toBe(1)
    expect(report.payouts).toMatchObject({
      leaves: VEHICLES + 1,
      total: VEHICLES + 1,
      root: report.payoutsRoot,
    })
  }, 600_000)

  it('bad contributions are refused at the API with their code, and the pool does not change', async () => {
    const client = new Client({ url: cluster.nodes[2]!.apiUrl })
    try {
      const before = await client.pool(report.poolId)
      const post = (body: unknown) =>
        fetch(`${cluster.nodes[2]!.apiUrl}/v1/pools/${report.poolId}/contributions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      // A claim whose bytes are not what it names.
      const snapshot = await client.poolSnapshot(report.poolId, before.head!)
      const claim = {
        version: 1,
        contribution: {
          version: 1,
          poolId: report.poolId,
          contributor: snapshot!.counts[0]!.contributor,
          window: 0,
          sequence: 99,
          blobId: `0x${'ab'.repeat(32)}`,
        },
        signature: `0x${'11'.repeat(65)}`,
      }
      const mismatch = await post({ version: 1, claim, bytes: '0x00' })
      expect(mismatch.status).toBe(422)
      expect(((await mismatch.json()) as { error: { code: string } }).error.code).toBe('BLOB_MISMATCH')
      const malformed = await post({ version: 1, claim })
      expect(malformed.status).toBe(400)
      const after = await client.pool(report.poolId)
      expect(after.size).toBe(before.size)
    } finally {
      await client.close()
    }
  }, 120_000)
})
