import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cluster } from '../devnet/cluster.ts'
import { Client, createPool } from '../node/sdk/index.ts'
import { addressOfPrivateKey, DEV_PRIVATE_KEYS, generatePrivateKey, type Hex32 } from '../protocol/index.ts'
import { poolKeyId, poolLayoutOf } from '../sandbox/contribution/pool-manifest.ts'
import { TRAFFIC_TEST_SCHEMA, TRAFFIC_TEST_SPEC } from '../sandbox/testing/pool.ts'
import type { VaultManifest } from '../sandbox/vault/manifest.ts'
import { startSeededCluster } from './support/committee-vault.ts'
import type { SeededCommittee } from './support/seed-committee.ts'
import { buildWebApp, CHROMIUM } from './support/web-build.ts'

/**
 * The contributor's page submitting to a real node: a validator daemon (one, holding a seeded
 * committee key registered on a real anvil dev chain) serves a fresh build of web/ (TCF_WEB_ROOT);
 * a curator creates a pool with the SDK; in chromium the page encrypts a day of trips, signs the
 * EIP-712 claim with the key it holds and POSTs it to the node, and shows the node's answer: accepted
 * (then admitted by consensus into the pool's log), or the intake's typed refusal.
 * Starts a daemon and a chain: run under the lock,
 *   flock /tmp/tcf-e2e.lock npx vitest run test/web-contribute-submit.test.ts
 */
const CURATOR = DEV_PRIVATE_KEYS[1] as Hex32
const csv = 'cell,hour,speed\nc1,8,42\nc1,9,35\nc2,17,\n'

let dir: string
let dist: string
let cluster: Cluster
let seeded: SeededCommittee
let manifest: VaultManifest
let poolId: Hex32
let url: string
let browser: Browser

beforeAll(async () => {
  dist = await buildWebApp()
  dir = await mkdtemp(join(tmpdir(), 'tcf-web-submit-'))
  ;({ cluster, seeded } = await startSeededCluster(join(dir, 'cluster'), 1, { TCF_WEB_ROOT: dist }))
  url = cluster.nodes[0]!.apiUrl
  const curator = new Client({ url, key: CURATOR })
  try {
    ;({ manifest } = await createPool(curator, addressOfPrivateKey(CURATOR), {
      schema: TRAFFIC_TEST_SCHEMA,
      specs: [TRAFFIC_TEST_SPEC],
      policy: { allowedOps: ['histogram2d', 'group_mean'], minAggregation: 1, price: '0' },
      maxRecords: 5,
      bound: { perWindow: 1, windowBlocks: 100_000 },
      minContributors: 2,
      out: join(dir, 'pool'),
    }))
  } finally {
    await curator.close()
  }
  poolId = manifest.vaultId as Hex32
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await cluster?.stop()
  for (const d of [dir, dist]) if (d) await rm(d, { recursive: true, force: true })
})

/** The page filled for this pool and sent; returns the node's answer as the page shows it. */
async function send(page: Page, signingKey: Hex32, keyId = poolKeyId(manifest)): Promise<string> {
  await page.goto(`${url}/#/contribute`)
  await page.fill('input[name=pool]', poolId)
  await page.fill('textarea[name=layout]', JSON.stringify(poolLayoutOf(manifest)))
  await page.fill('input[name=key-id]', keyId)
  await page.fill('textarea[name=public-key]', Buffer.from(seeded.committee.publicKey).toString('base64'))
  await page.fill('textarea[name=records]', csv)
  await page.fill('input[name=signing-key]', signingKey)
  expect(await page.locator('button[type=submit]').innerText()).toBe('encrypt, sign and send')
  await page.click('button[type=submit]')
  const answer = page.getByTestId('node-answer')
  await answer.waitFor({ timeout: 120_000 })
  return (await answer.innerText()).replace(/\s+/g, ' ')
}

describe("the contributor's page, signing and sending to a node, in chromium", () => {
  it('the node accepts the signed contribution and consensus admits it; the bound and a wrong key are refused with their codes', async () => {
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(e.message))
    const vehicle = generatePrivateKey()
    const accepted = await send(page, vehicle)
    console.log(`browser: ${accepted}`)
    expect(accepted).toMatch(/^accepted by the node: contribution 0x[0-9a-f]{4}/)
    expect(problems).toEqual([])

    // The node's log admits it by consensus, under the page's key.
    const client = new Client({ url })
    try {
      const deadline = Date.now() + 60_000
      while ((await client.pool(poolId)).size < 1) {
        if (Date.now() > deadline) throw new Error('the browser contribution was not admitted in 60 s')
        await new Promise((ok) => setTimeout(ok, 500))
      }
      const info = await client.pool(poolId)
      const snapshot = (await client.poolSnapshot(poolId, info.head!))!
      expect(snapshot.counts).toEqual([{ contributor: addressOfPrivateKey(vehicle), contributions: 1 }])

      // The same vehicle again in the window: over its bound of 1, refused by the node's intake.
      const again = await send(page, vehicle)
      console.log(`browser, the same vehicle again: ${again}`)
      expect(again).toMatch(/^the node refused the contribution: OVER_BOUND: /)
      // Encrypted naming another committee key: the node's HE check refuses it.
      const wrongKey = await send(page, generatePrivateKey(), `0x${'3d'.repeat(32)}`)
      console.log(`browser, another key id: ${wrongKey}`)
      expect(wrongKey).toMatch(/^the node refused the contribution: WRONG_KEY: /)
      expect((await client.pool(poolId)).size).toBe(1)
    } finally {
      await client.close()
    }
    await page.close()
  }, 300_000)
})
