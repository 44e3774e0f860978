import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex32, JobRecord } from '../protocol/index.ts'
import {
  type AlgorithmSpec,
  type OutputValue,
  plaintextOutputs,
  readCsvRows,
  VaultSchemaSchema,
  type Withheld,
  withinStatedError,
} from '../sandbox/index.ts'
import { withDevnetPorts } from './support/port-lock.ts'

// The web app in a real browser (Debian's chromium, driven by playwright-core) against a real
// 4-validator devnet (`npm run devnet -- --keep`): chain, validators, the seller's vault and agent.
// One devnet for every check. Screenshots of each page go to test/.screenshots/ (gitignored).

const run = promisify(execFile)
const repo = new URL('..', import.meta.url).pathname
const CHROMIUM = process.env.TCF_CHROMIUM ?? '/usr/bin/chromium'
const SHOTS = join(repo, 'test/.screenshots')
const DATA = (name: string) => join(repo, 'devnet/data', name)

interface Devnet {
  readonly process: ChildProcess
  readonly nodes: readonly string[]
  readonly vaultId: Hex32
  readonly demoJob: Hex32
  readonly buyerKey: Hex32
}

/** Starts `npm run devnet -- --keep` and reads what it prints until the network is up and the demo job done. */
async function startDevnet(dir: string): Promise<Devnet> {
  const child = spawn('npm', ['run', '-s', 'devnet', '--', '--keep', '--dir', dir], {
    cwd: repo,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the devnet did not come up:\n${out}`)), 420_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('dev buyer key')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`the devnet exited with ${code}:\n${out}`)))
  })
  const match = (re: RegExp) => {
    const m = re.exec(out)
    if (!m?.[1]) throw new Error(`the devnet printed no ${re}:\n${out}`)
    return m[1]
  }
  await writeFile(join(SHOTS, 'devnet.log'), out)
  return {
    process: child,
    nodes: [...out.matchAll(/api (http:\/\/[0-9.:]+)/g)].map((m) => m[1]!),
    vaultId: match(/into vault (0x[0-9a-f]{64})/) as Hex32,
    demoJob: match(/submitted job (0x[0-9a-f]{64})/) as Hex32,
    buyerKey: match(/dev buyer key[^:]*: (0x[0-9a-f]{64})/) as Hex32,
  }
}

async function stopDevnet(devnet: Devnet | undefined): Promise<void> {
  const child = devnet?.process
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null
  if (!running() || child?.pid === undefined) return
  const exited = new Promise((ok) => child.once('exit', ok))
  // Its own process group: npm, the devnet and what it started stop on the devnet's SIGINT handler.
  process.kill(-child.pid, 'SIGINT')
  await Promise.race([exited, new Promise((ok) => setTimeout(ok, 30_000))])
  if (running()) process.kill(-child.pid, 'SIGKILL')
}

/** The spec the buyer composes: typed into the JSON view, then one output added with the form. */
const SPEC = {
  version: 1,
  outputs: {
    records: { op: 'count' },
    mean_sbp: { op: 'mean', of: 'systolic_bp' },
    corr_age_sbp: { op: 'correlation', of: ['age', 'systolic_bp'] },
    hist_age: { op: 'histogram', of: 'age_bucket' },
    fit_sbp: {
      op: 'linear_model_fit',
      model: { weights: { age: 0.45, bmi: 0.95, smoker: 7 }, bias: 81 },
      label: 'systolic_bp',
    },
  },
}

let dir: string
let devnet: Devnet | undefined
let browser: Browser
let releasePorts: () => void = () => undefined
let portsReleased: Promise<unknown> = Promise.resolve()
/** What the buyer test submitted, for the explorer test. */
let boughtJob: Hex32 | undefined

/** How long the page may take to show what the node already knows, on a loaded machine. */
const UI = { timeout: 30_000 }

const get = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  ;(page as Page & { errors: string[] }).errors = errors
  await page.goto(url)
  return page
}
const errorsOf = (page: Page) => (page as Page & { errors: string[] }).errors

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does)`)
  // npm test builds the app first; run alone, this test builds it when it is missing.
  if (!existsSync(join(repo, 'web/dist/index.html')))
    await run('npm', ['run', '-s', 'build:web'], { cwd: repo })
  await mkdir(SHOTS, { recursive: true })
  dir = await mkdtemp(join(tmpdir(), 'tcf-web-'))
  // The devnet publishes fixed ports: hold them for the whole file.
  await new Promise<void>((held) => {
    portsReleased = withDevnetPorts(
      () =>
        new Promise<void>((release) => {
          releasePorts = release
          held()
        }),
    )
  })
  devnet = await startDevnet(dir)
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
}, 600_000)

afterAll(async () => {
  await browser?.close()
  await stopDevnet(devnet)
  releasePorts()
  await portsReleased
  await rm(dir, { recursive: true, force: true })
}, 120_000)

describe('the web app, in chromium, against a 4-validator devnet', () => {
  it('is served by every node at / with a CSP that stops an inline script', async () => {
    for (const node of devnet!.nodes) {
      const response = await fetch(`${node}/`)
      expect(response.status).toBe(200)
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toContain('unsafe-inline')
      const html = await response.text()
      // Every script of the page is a file of the node's own.
      expect(html.match(/<script\b[^>]*>/g)?.every((tag) => / src="\/assets\//.test(tag))).toBe(true)
    }
    // The API keeps its routes and its own 404.
    expect((await fetch(`${devnet!.nodes[0]}/v1/status`)).status).toBe(200)
    expect((await fetch(`${devnet!.nodes[0]}/no-such-page`)).status).toBe(404)

    // An attacker who gets markup into the page gets no script run: the browser refuses it.
    const page = await openPage(`${devnet!.nodes[0]}/`)
    await page.getByTestId('height').waitFor()
    // Browser-side code, as text: this file compiles without the DOM library.
    const verdict = (await page.evaluate(`new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) =>
        setTimeout(() => resolve({ directive: e.violatedDirective, pwned: window.__pwned === true }), 50),
      { once: true })
      const script = document.createElement('script')
      script.textContent = 'window.__pwned = true'
      document.body.append(script)
    })`)) as { directive: string; pwned: boolean }
    expect(verdict).toEqual({ directive: expect.stringMatching(/^script-src/), pwned: false })
    await page.close()
  }, 60_000)

  it('buyer: composes a spec, sees the verdict, pays with the dev key, watches, and unseals values within their stated error', async () => {
    const page = await openPage(`${devnet!.nodes[1]}/#/buyer?vault=${devnet!.vaultId}`)
    await page.getByTestId('verdict-ok').waitFor()
    await page.getByLabel('the spec as JSON').fill(JSON.stringify(SPEC, null, 2))
    await page.getByRole('button', { name: 'add an output' }).click()
    // The form's new output shows up in the JSON view, and the verdict follows the spec.
    const composed = JSON.parse(await page.getByLabel('the spec as JSON').inputValue()) as AlgorithmSpec
    expect(Object.keys(composed.outputs).sort()).toEqual([...Object.keys(SPEC.outputs), 'output_6'].sort())
    await page.getByRole('cell', { name: 'output_6' }).waitFor()
    await expect.poll(() => page.getByTestId('verdict-ok').textContent(), UI).toMatch(/^accepted/)
    await shot(page, 'buyer-compose')

    await page.getByLabel('dev key').fill(devnet!.buyerKey)
    await page.getByRole('button', { name: 'pay with the dev key and submit' }).click()
    const jobLink = page.locator('.watch h3 a')
    await jobLink.waitFor({ timeout: 60_000 })
    boughtJob = (await jobLink.getAttribute('href'))!.replace('#/job/', '') as Hex32
    expect(boughtJob).toMatch(/^0x[0-9a-f]{64}$/)
    await page.getByTestId('verified').waitFor({ timeout: 240_000 })
    await shot(page, 'buyer-result')
    // Charts: one bar chart per histogram.
    expect(await page.locator('figure .chart canvas').count()).toBe(1)

    const shown = JSON.parse((await page.locator('#result-json').textContent())!) as {
      jobId: string
      outputs: Record<string, OutputValue | Withheld>
    }
    expect(shown.jobId).toBe(boughtJob)
    const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(DATA('schema.json'), 'utf8')))
    const policy = JSON.parse(await readFile(DATA('policy.json'), 'utf8')) as { minAggregation: number }
    const truth = plaintextOutputs(readCsvRows(DATA('heart.csv')), schema, composed)
    const checks = Object.entries(shown.outputs).map(([name, out]) => ({
      name,
      ...withinStatedError(out, truth[name], policy.minAggregation),
    }))
    expect(checks.map((c) => c.name).sort()).toEqual(Object.keys(composed.outputs).sort())
    expect(checks.filter((c) => !c.ok)).toEqual([])
    // The sealing key stayed in the page: nothing went into storage unasked.
    expect(await page.evaluate('localStorage.length')).toBe(0)
    expect(errorsOf(page)).toEqual([])
    await page.close()
  }, 400_000)

  it("explorer: shows that job's block, certificate, anchor and settlement", async () => {
    expect(boughtJob).toBeDefined()
    const node = devnet!.nodes[0]!
    // The record this node keeps, once anchored and settled here too.
    let record: JobRecord | undefined
    await expect
      .poll(
        async () => {
          record = await get<JobRecord>(`${node}/v1/jobs/${boughtJob}`)
          // anchorTx names the last anchored block: wait for the releasing block's, not the certificate's.
          return (
            record.releasedHeight !== undefined &&
            record.anchorTx?.height === record.releasedHeight &&
            record.settlement !== undefined
          )
        },
        { timeout: 120_000, interval: 1000 },
      )
      .toBe(true)
    const page = await openPage(`${node}/#/job/${boughtJob}`)
    await expect.poll(() => page.getByTestId('job-stage').textContent(), UI).toBe('released')
    await page.getByText(record!.anchorTx!.txHash.slice(0, 8)).first().waitFor()
    const anchor = page.locator('dd code', { hasText: record!.anchorTx!.txHash.slice(0, 8) })
    expect(await anchor.first().getAttribute('title')).toBe(record!.anchorTx!.txHash)
    await page.getByText('paid').first().waitFor()
    const attested = page.locator('dt', { hasText: /^attested by \(\d+\)$/ })
    expect(Number((await attested.textContent())!.match(/\d+/)![0])).toBeGreaterThanOrEqual(3)
    await page.getByTestId('quality-score').waitFor()
    await shot(page, 'job')

    // The block that certified it, reached by its link, lists the job among its certified results.
    await page
      .getByRole('link', { name: String(record!.certifiedHeight), exact: true })
      .first()
      .click()
    await page
      .locator('table', { hasText: 'certified results' })
      .locator(`code[title="${boughtJob}"]`)
      .waitFor()
    expect(
      await page.locator('table', { hasText: 'commit certificate' }).locator('tbody tr').count(),
    ).toBeGreaterThanOrEqual(3)
    await shot(page, 'block')

    for (const [hash, name, ready] of [
      ['#/', 'explorer', 'height'],
      [`#/vault/${devnet!.vaultId}`, 'vault', 'budget-left'],
    ] as const) {
      await page.goto(`${node}/${hash}`)
      await page.getByTestId(ready).waitFor()
      if (name === 'explorer') {
        // the live lists fill in after the health facts: shoot the page once they are there
        for (const caption of ['blocks, newest first', 'jobs, newest first'])
          await page.locator('table', { hasText: caption }).locator('tbody tr').first().waitFor(UI)
      }
      await shot(page, name)
    }
    // The vault's budget: the demo job and this one spent from it.
    expect(Number(await page.getByTestId('budget-spent').textContent())).toBeGreaterThan(0)
    await page.goto(`${node}/#/validators`)
    await page.locator('table', { hasText: 'voting power' }).locator('tbody tr').nth(3).waitFor()
    await shot(page, 'validators')
    // The seller's page: the owner the settlement paid sees the vault and what it earned.
    const owner = record!.settlement!.owner!.address
    await page.goto(`${node}/#/seller?owner=${owner}`)
    await expect.poll(() => page.getByTestId('earned').textContent(), UI).not.toBe('0.0 ETH')
    await page.locator(`article h3 code[title="${devnet!.vaultId}"]`).waitFor()
    await shot(page, 'seller')
    // The operator's page: this node's evaluations include the job.
    await page.goto(`${node}/#/operator`)
    await page
      .locator('table', { hasText: 'evaluations by this node' })
      .locator(`code[title="${boughtJob}"]`)
      .waitFor()
    await shot(page, 'operator')
    expect(errorsOf(page)).toEqual([])
    await page.close()
  }, 240_000)

  it('buyer: pays with an injected EIP-1193 wallet, which signs the request and sends the escrow', async () => {
    const node = devnet!.nodes[3]!
    const { chain } = await get<{ chain: { rpcUrl: string } }>(`${node}/v1/status`)
    const [account] = (
      (await (
        await fetch(chain.rpcUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_accounts', params: [] }),
        })
      ).json()) as { result: string[] }
    ).result
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    // The wallet: an EIP-1193 provider whose accounts the dev chain itself holds and signs with
    // (eth_signTypedData_v4, eth_sendTransaction), as an extension's would be injected.
    await page.addInitScript(`window.ethereum = {
      async request({ method, params }) {
        const response = await fetch(${JSON.stringify(chain.rpcUrl)}, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: params ?? [] }),
        })
        const answer = await response.json()
        if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code })
        return answer.result
      },
    }`)
    await page.goto(`${node}/#/buyer?vault=${devnet!.vaultId}`)
    await expect
      .poll(() => page.getByTestId('verdict-ok').textContent(), { timeout: 30_000 })
      .toMatch(/^accepted/)
    await page.getByRole('button', { name: 'pay with the browser wallet' }).click()
    const jobLink = page.locator('.watch h3 a')
    await jobLink.waitFor({ timeout: 60_000 })
    const jobId = (await jobLink.getAttribute('href'))!.replace('#/job/', '')
    await page.getByTestId('verified').waitFor({ timeout: 240_000 })
    const record = await get<JobRecord>(`${node}/v1/jobs/${jobId}`)
    expect(record.request.request.buyer).toBe(account!.toLowerCase())
    const shown = JSON.parse((await page.locator('#result-json').textContent())!) as { outputs: object }
    expect(Object.keys(shown.outputs).length).toBeGreaterThan(0)
    await page.close()
  }, 400_000)

  it('buyer: a refusal is shown with its code and the field it names', async () => {
    const page = await openPage(`${devnet!.nodes[2]}/#/buyer?vault=${devnet!.vaultId}`)
    await page.getByTestId('verdict-ok').waitFor()
    // In the form: the mean of a categorical column.
    const output = page.locator('fieldset.output', { has: page.locator('legend', { hasText: /^mean_/ }) })
    await output.getByLabel('of', { exact: true }).fill('sex')
    await page.getByTestId('refusal').waitFor()
    expect(await page.getByTestId('refusal-code').textContent()).toBe('COLUMN_TYPE')
    expect(await page.getByTestId('refusal-field').textContent()).toMatch(/^outputs\.mean_[a-z_]+\.of$/)
    expect(await output.getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByRole('button', { name: 'pay with the dev key and submit' }).isDisabled()).toBe(
      true,
    )
    await shot(page, 'buyer-refusal')
    await page.close()
  }, 60_000)
})
