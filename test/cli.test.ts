import { execFile } from 'node:child_process'
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addressOfPrivateKey, startDevChain } from '../protocol/index.ts'
import { parseSpecJson } from '../sandbox/index.ts'
import { plaintextOutputs, readCsvRows } from '../sandbox/reference/plaintext.ts'
import { withinStatedError } from '../sandbox/reference/within-error.ts'
import { VaultSchemaSchema } from '../sandbox/vault/schema.ts'

const run = promisify(execFile)
const repo = new URL('..', import.meta.url).pathname
const data = (f: string) => join(repo, 'devnet/data', f)

/** The seller's and buyer's phase-1 flow through the real `tcf` binary, as a user runs it. */
describe('tcf CLI', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  const tcf = (...args: string[]) =>
    run(process.execPath, [join(repo, 'bin/tcf.ts'), ...args], { env, cwd: repo })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-cli-'))
    await writeFile(join(dir, 'pass'), 'correct horse battery\n')
    env = { ...process.env, TCF_SCRYPT_N: '1024' }
    delete env.TCF_PASSPHRASE
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  /** `tcf vault create` of a CSV with the demo schema and policy, into `<dir>/<out>`, with the test keys. */
  const createVault = (csv: string, out: string, ...extra: string[]) =>
    tcf(
      'vault',
      'create',
      csv,
      '--schema',
      data('schema.json'),
      '--policy',
      data('policy.json'),
      '--keys',
      join(dir, 'keys'),
      '--out',
      join(dir, out),
      '--passphrase-file',
      join(dir, 'pass'),
      ...extra,
    )

  it('keygen, create, check and run give the plaintext statistics within their stated error', async () => {
    const pass = ['--passphrase-file', join(dir, 'pass')]
    const keygen = await tcf('vault', 'keygen', '--out', join(dir, 'keys'), ...pass)
    expect(keygen.stdout).toMatch(/galois\.key/)
    const create = JSON.parse((await createVault(data('heart.csv'), 'vault', '--json')).stdout)
    expect(create.manifest.recordCount).toBe(10_000)
    const check = await tcf('algo', 'check', data('algo.json'), '--vault', join(dir, 'vault'))
    expect(check.stdout).toMatch(/spec accepted/)
    expect(check.stdout).toMatch(/depth 2/)
    // Before paying: the job's epsilon and each output's noise and 95% error.
    expect(check.stdout).toMatch(/privacy: epsilon 10 of 10 per job \(vault budget 100, per record\)/)
    expect(check.stdout).toMatch(/mean_sbp\s+1\.25\s+0\.\d+\s+0\.\d+/)
    const result = JSON.parse(
      (
        await tcf(
          'sandbox',
          'run',
          '--vault',
          join(dir, 'vault'),
          '--algo',
          data('algo.json'),
          '--keys',
          join(dir, 'keys'),
          '--json',
          ...pass,
        )
      ).stdout,
    )
    // The fit's noisy R^2 sits near the spec's minR2 (0.3): in 5,000 simulated releases of this job
    // the fitness fell below 1 in 4 (8e-4 of runs, where this once asserted a score of 1), the score
    // never below 0.96. The other components are 1 far from their limits (9,700 records of
    // 5,000, 2.9% missing of 5%, 6 of 6 ranges); one of them broken puts the score at 0.84 or less.
    expect(result.quality.components).toMatchObject({ sampleSize: 1, completeness: 1, plausibility: 1 })
    expect(result.quality.score).toBeGreaterThan(0.9)
    const spec = parseSpecJson(await readFile(data('algo.json'), 'utf8'))
    const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(data('schema.json'), 'utf8')))
    const truth = plaintextOutputs(readCsvRows(data('heart.csv')), schema, spec)
    for (const name of ['mean_sbp', 'corr_age_sbp', 'hist_age']) {
      const check = withinStatedError(result.outputs[name], truth[name], 50)
      expect(check.ok, `${name}: ${check.released} vs ${check.truth}`).toBe(true)
    }
    // The run was charged to the budget ledger beside the vault.
    expect(result.privacy.budget).toMatchObject({ totalMicros: 100_000_000, spentMicros: 10_000_000 })
  })

  it('exits 1 with a coded error naming line and column for a bad CSV, leaving nothing behind', async () => {
    const bad = join(dir, 'bad.csv')
    const rows = parse(await readFile(data('heart.csv')), { to: 3 }) as string[][]
    rows[2]![0] = 'forty'
    await writeFile(bad, `${rows.map((r) => r.join(',')).join('\n')}\n`)
    const failed = await createVault(bad, 'bad-vault').then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    )
    expect(failed?.code).toBe(1)
    expect(failed?.stderr).toMatch(/^error \[CSV_INVALID\] line 3, column age: "forty" is not an integer/m)
    await expect(access(join(dir, 'bad-vault'))).rejects.toThrow()
  })

  it('exits 1 with a coded error naming the path for a missing CSV or an existing output, leaving nothing behind', async () => {
    const before = await readdir(dir)
    const missing = join(dir, 'no-such.csv')
    const failed = await createVault(missing, 'missing-vault').then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    )
    expect(failed?.code).toBe(1)
    expect(failed?.stderr).toMatch(
      new RegExp(`^error \\[FILE_UNREADABLE\\] cannot read the CSV ${missing}: ENOENT`, 'm'),
    )
    const exists = await createVault(data('heart.csv'), 'vault').then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    )
    expect(exists?.stderr).toMatch(/^error \[OUTPUT_EXISTS\] /m)
    expect(await readdir(dir)).toEqual(before)
  })

  it('refuses a spec the compiler cannot accept, naming code and field', async () => {
    const algo = join(dir, 'mean-of-category.json')
    await writeFile(algo, JSON.stringify({ version: 1, outputs: { m: { op: 'mean', of: 'sex' } } }))
    const failed = await tcf('algo', 'check', algo, '--vault', join(dir, 'vault'), '--json').then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    )
    expect(failed?.code).toBe(1)
    expect(JSON.parse(failed!.stderr).error).toMatchObject({
      code: 'COLUMN_TYPE',
      message: expect.stringMatching(/^outputs\.m\.of/),
    })
  })

  it('deploys a devnet to a running chain and initializes a validator home from its files', async () => {
    const chain = await startDevChain()
    try {
      const out = join(dir, 'shared')
      const deployed = JSON.parse(
        (
          await tcf(
            'devnet',
            'deploy',
            '--rpc-url',
            chain.rpcUrl,
            '--validators',
            '4',
            '--out',
            out,
            '--json',
          )
        ).stdout,
      )
      expect(deployed.validators).toBe(4)
      const bootstrap = await readFile(join(out, 'validator-0', 'bootstrap'), 'utf8')
      expect(bootstrap.split(',')).toHaveLength(3)
      expect(bootstrap).toMatch(/^\/dns4\/validator-1\/tcp\/7601\/p2p\/12D3KooW/)
      const home = join(dir, 'home0')
      const init = JSON.parse(
        (
          await tcf(
            'node',
            'init',
            '--home',
            home,
            '--addresses',
            join(out, 'addresses.json'),
            '--rpc-url',
            chain.rpcUrl,
            '--import-key',
            join(out, 'validator-0', 'validator.key'),
            '--import-peer-key',
            join(out, 'validator-0', 'peer.key'),
            '--passphrase-file',
            join(dir, 'pass'),
            '--json',
          )
        ).stdout,
      )
      const key = (await readFile(join(out, 'validator-0', 'validator.key'), 'utf8')).trim()
      expect(init.address).toBe(addressOfPrivateKey(key as `0x${string}`))
      expect(bootstrap).not.toContain(init.peerId)
      const other = await readFile(join(out, 'validator-1', 'bootstrap'), 'utf8')
      expect(other).toContain(init.peerId)
    } finally {
      await chain.stop()
    }
  })
})
