import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveWebApp } from '../node/api/web.ts'
import { addressOfPrivateKey, blobIdOf, type Hex32 } from '../protocol/index.ts'
import { compile } from '../sandbox/compiler/compile.ts'
import { PoolAggregate } from '../sandbox/contribution/aggregate.ts'
import { encodeContribution } from '../sandbox/contribution/encode.ts'
import { layoutIdOf, monomialsOf, type PoolLayout, poolLayout } from '../sandbox/contribution/layout.ts'
import { readContribution } from '../sandbox/contribution/wire.ts'
import { type HeContext, heContext } from '../sandbox/he/seal.ts'
import { parseSpec } from '../sandbox/spec/parse.ts'
import { testManifest } from '../sandbox/testing/manifest.ts'
import { type TestCommittee, testCommittee, thresholdOpen } from '../sandbox/testing/threshold-committee.ts'
import { DEFAULT_SMUDGING_BITS, smudgingErrorBound } from '../sandbox/threshold/decrypt.ts'
import type { VaultSchema } from '../sandbox/vault/schema.ts'
import { buildWebApp, CHROMIUM } from './support/web-build.ts'

// The contributor's page in a real browser (Debian's chromium, driven by playwright-core), served by
// the node's own web server (its CSP included) from a fresh build of web/: the browser encrypts
// a contribution with node-seal's WASM; Node checks the bytes and a 3-of-4 threshold decryption.

const repo = new URL('..', import.meta.url).pathname
const SHOTS = join(repo, 'test/.screenshots')

const schema: VaultSchema = {
  columns: [
    { name: 'cell', type: 'categorical', categories: ['g0', 'g1', 'g2'], nullable: false },
    { name: 'hour', type: 'bucketed', edges: [0, 6, 12, 18, 24], nullable: false },
    { name: 'speed', type: 'number', min: 0, max: 130, nullable: true },
  ],
}
const spec = parseSpec({
  version: 1,
  outputs: {
    trips: { op: 'histogram2d', of: ['cell', 'hour'] },
    speed: { op: 'group_mean', of: 'speed', by: 'cell' },
  },
})
const trips = [
  { cell: 'g1', hour: 8, speed: 42 },
  { cell: 'g1', hour: 9, speed: 35 },
  { cell: 'g2', hour: 17, speed: '' },
]
const csv = `cell,hour,speed\n${trips.map((t) => `${t.cell},${t.hour},${t.speed}`).join('\n')}\n`
const keyId = `0x${'3c'.repeat(32)}` as Hex32
const signingKey = `0x${'11'.repeat(32)}` as Hex32

let ctx: HeContext
let committee: TestCommittee
let layout: PoolLayout
let app: FastifyInstance
let url: string
let browser: Browser
let dist: string | undefined

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true })
  dist = await buildWebApp()
  ctx = await heContext('ckks-8192')
  committee = testCommittee(ctx, 4, 'web-contribute')
  layout = poolLayout({
    profile: 'ckks-8192',
    schema,
    monomials: monomialsOf(
      compile(
        spec,
        testManifest(schema, 1000, {
          allowedOps: ['histogram2d', 'group_mean'],
          minAggregation: 1,
          price: '0',
        }),
      ),
    ),
    maxRecords: 10,
  })
  app = Fastify()
  expect(await serveWebApp(app, dist, async () => undefined)).toBe(true)
  url = await app.listen({ host: '127.0.0.1', port: 0 })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
}, 600_000)

afterAll(async () => {
  await browser?.close()
  await app?.close()
  if (dist) await rm(dist, { recursive: true, force: true })
})

describe("the contributor's page, in chromium", () => {
  it('encrypts a contribution that the network accepts and the committee decrypts to the contributor’s slots', async () => {
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(e.message))
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text())
    })
    await page.goto(`${url}/#/contribute`)
    await page.fill('textarea[name=layout]', JSON.stringify(layout))
    await page.fill('input[name=key-id]', keyId)
    await page.fill('textarea[name=public-key]', Buffer.from(committee.publicKey).toString('base64'))
    await page.fill('textarea[name=records]', csv)
    await page.fill('input[name=signing-key]', signingKey)
    await page.click('button[type=submit]')
    const out = page.getByTestId('contribution')
    await out.waitFor({ timeout: 120_000 })
    const bytes = new Uint8Array(Buffer.from(await out.inputValue(), 'base64'))
    await page.screenshot({ path: join(SHOTS, 'contribute.png'), fullPage: true })
    const text = await page.locator('section[aria-label=contribution]').innerText()
    console.log(`browser: ${text.replace(/\s+/g, ' ')}`)
    expect(problems).toEqual([])
    // what the page states is what it made
    expect(text).toContain(`${bytes.length.toLocaleString('en-US')} bytes`)
    const titles = await page
      .locator('section[aria-label=contribution] code')
      .evaluateAll((cs) => cs.map((c) => c.getAttribute('title')))
    expect(titles).toContain(blobIdOf(bytes))
    expect(titles).toContain(layoutIdOf(layout))
    expect(titles).toContain(addressOfPrivateKey(signingKey))

    // The network's check accepts the bytes for this layout and key ...
    const target = { layoutId: layoutIdOf(layout), keyId, scale: 2 ** layout.scaleBits }
    readContribution(ctx, target, bytes).delete()
    const wrongKey = (() => {
      try {
        readContribution(ctx, { ...target, keyId: `0x${'3d'.repeat(32)}` as Hex32 }, bytes).delete()
      } catch (e) {
        return (e as { code?: string }).code
      }
      return 'accepted'
    })()
    expect(wrongKey).toBe('WRONG_KEY')
    // ... and 3 of the committee's 4 members open it to the contributor's own slots.
    const aggregate = new PoolAggregate(ctx, layout, keyId)
    aggregate.add(bytes)
    const sum = aggregate.toBytes()
    aggregate.delete()
    const slots = thresholdOpen(committee, sum, [1, 3, 4], 'web/open')
    const expected = encodeContribution(layout, trips)
    const bound = smudgingErrorBound(8192, 3, DEFAULT_SMUDGING_BITS, 2 ** layout.scaleBits)
    let worst = 0
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(slots[i]! - expected[i]!))
    console.log(
      `threshold decryption of the browser's contribution: largest slot error ${worst} (bound ${bound})`,
    )
    expect(worst).toBeLessThan(bound)
    await page.close()
  }, 300_000)

  it('refuses a record that does not fit the pool schema, naming it, and makes nothing', async () => {
    const page = await browser.newPage()
    await page.goto(`${url}/#/contribute`)
    await page.fill('textarea[name=layout]', JSON.stringify(layout))
    await page.fill('input[name=key-id]', keyId)
    await page.fill('textarea[name=public-key]', Buffer.from(committee.publicKey).toString('base64'))
    await page.fill('textarea[name=records]', 'cell,hour,speed\ng1,8,42\ng9,8,42\n')
    await page.click('button[type=submit]')
    const alert = page.getByRole('alert')
    await alert.waitFor({ timeout: 120_000 })
    expect(await alert.innerText()).toMatch(/^RECORD_INVALID: records\.1\.cell: /)
    expect(await page.getByTestId('contribution').count()).toBe(0)
    // a layout someone altered is refused before any encryption
    await page.fill('textarea[name=layout]', JSON.stringify({ ...layout, maxRecords: 0 }))
    await page.click('button[type=submit]')
    await page.getByText(/LAYOUT_INVALID: maxRecords/).waitFor({ timeout: 60_000 })
    await page.close()
  }, 300_000)
})
