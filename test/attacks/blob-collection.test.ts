import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '../../node/sdk/index.ts'
import type { Hex32 } from '../../protocol/index.ts'
import { vaultBlobIds } from '../../protocol/index.ts'
import { readManifest, type VaultManifest } from '../../sandbox/index.ts'
import { type Workspace, workspace } from '../../sandbox/testing/fixtures.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from '../../sandbox/testing/regression.ts'
import { type SingleNode, startSingleNode } from '../support/single-node.ts'

/**
 * Blobs of a vault its owner deactivated on chain are collected, except
 * those of a vault a job still needs; nothing else on disk is touched.
 */
let one: SingleNode
let ws: Workspace
let seller: Client
let buyer: Client

beforeAll(async () => {
  one = await startSingleNode({ node: { gcIntervalMs: 0 } })
  ws = await workspace()
  seller = new Client({ url: one.url, key: one.chain.wallet(1).privateKey as Hex32 })
  buyer = new Client({ url: one.url, key: one.chain.wallet(2).privateKey as Hex32 })
}, 180_000)
afterAll(async () => {
  await seller?.close()
  await buyer?.close()
  await one?.stop()
  await ws?.dispose()
})

const stored = async (m: VaultManifest) => {
  let n = 0
  for (const id of vaultBlobIds(m)) if (await one.store.blobs.has(id)) n++
  return n
}

describe('garbage collection of vault blobs', () => {
  it('collects a deactivated vault, keeps one a pending job needs', async () => {
    const csv = `a,b\n${Array.from({ length: 60 }, (_, i) => `${i % 10},${(i * 7) % 13}`).join('\n')}\n`
    const small = await ws.vault('small', csv, {
      columns: [
        { name: 'a', type: 'integer', min: 0, max: 9, nullable: false },
        { name: 'b', type: 'integer', min: 0, max: 12, nullable: false },
      ],
    })
    await seller.publishVault(small.dir)
    await seller.publishVault(REGRESSION_VAULT)
    const regression = await readManifest(REGRESSION_VAULT)
    const total = vaultBlobIds(small.manifest).length
    expect(await stored(small.manifest)).toBe(total)
    expect(one.node.uploadedBy(one.chain.wallet(1).address as Hex32)).toBeGreaterThan(0)

    const job = await buyer.submitJob({ vaultId: regression.vaultId as Hex32, spec: REGRESSION_SPEC })
    const registry = one.network.connect(one.chain.wallet(1)).vaults
    await registry.deactivate(small.manifest.vaultId as Hex32)
    await registry.deactivate(regression.vaultId as Hex32)

    const collected = await one.node.collectGarbage()
    expect(collected.blobs).toBe(total)
    expect(await stored(small.manifest)).toBe(0)
    // The job admitted before the deactivation still needs its vault.
    expect(await stored(regression)).toBe(vaultBlobIds(regression).length)
    expect(await one.node.job(job.jobId)).toMatchObject({ stage: 'pending' })
    // The manifests stay: blocks and jobs name them.
    expect(await one.store.getVault(small.manifest.vaultId)).toBeDefined()
    expect(await one.node.collectGarbage()).toEqual({ blobs: 0, bytes: 0 })
  })
})
