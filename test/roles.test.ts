import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cluster, startCluster } from '../devnet/cluster.ts'
import { type DaemonInfo, INFO_FILE } from '../node/daemon.ts'
import { generatePeerKey } from '../node/p2p/index.ts'
import { createNetworkNode, type NetworkNode, parsePeerAddress } from '../node/p2p/libp2p.ts'
import { TOPIC_CODECS } from '../node/ports.ts'
import {
  Client,
  ClientError,
  generateSealingKey,
  type JobResult,
  type JobSettlement,
} from '../node/sdk/index.ts'
import { DEV_PRIVATE_KEYS, type Hex32, signRequest, writeKeystoreFile } from '../protocol/index.ts'
import { openSecretFile } from '../sandbox/he/keys.ts'
import { canonicalBytes, loadInto } from '../sandbox/he/serialize.ts'
import { heContext, parseSpec, VaultSchemaSchema } from '../sandbox/index.ts'
import { plaintextOutputs, readCsvRows } from '../sandbox/reference/plaintext.ts'
import { withinStatedError } from '../sandbox/reference/within-error.ts'
import { tcf, tcfBackground, tcfJson } from './support/cli.ts'
import { findAll } from './support/find-all.ts'

/**
 * The three roles end to end, through the `tcf` CLI in separate processes,
 * against four validator daemons and a real chain: the seller publishes and
 * serves a vault, the buyer submits a job and opens its sealed result, the
 * operator reads the node's status.
 */
const DATA = new URL('../devnet/data/', import.meta.url).pathname
const RECORDS = 4000
const PASS = 'roles test passphrase'
const ENV = { TCF_SCRYPT_N: '1024', TCF_LOG_LEVEL: 'info' }
const TOPICS = Object.keys(TOPIC_CODECS).map((t) => `/tcf/1/${t}`)

const SPEC = {
  version: 1,
  outputs: {
    records: { op: 'count' },
    mean_hr: { op: 'mean', of: 'resting_hr' },
    var_sbp: { op: 'variance', of: 'systolic_bp' },
    // A correlation and a fit divide by noisy sums of squares: with an even split of the job's
    // epsilon, on a few hundred records, one came out at or below zero in about one run in five and
    // was withheld ("a column is constant"). The buyer spends the epsilon where it needs the accuracy,
    // on enough records (one ciphertext chunk holds 4,096, so 4,000 cost no more HE work than 400):
    // on 1,000 the correlation was still withheld in 0.4% of simulated releases, on 4,000 in none of
    // 20,000.
    corr_age_sbp: { op: 'correlation', of: ['age', 'systolic_bp'], epsilon: 2 },
    hist_age: { op: 'histogram', of: 'age_bucket' },
    fit_sbp: {
      op: 'linear_model_fit',
      model: { weights: { age: 0.45, bmi: 0.95, smoker: 7 }, bias: 81 },
      label: 'systolic_bp',
      epsilon: 6,
    },
  },
  expect: { minRecords: 300, maxMissingRate: 0.05, minR2: 0.3, ranges: { mean_hr: [55, 95] } },
}

describe('seller, buyer and operator through the CLI', () => {
  let dir: string
  let cluster: Cluster
  let node: string
  let vaultId: Hex32
  let observer: NetworkNode | undefined
  const gossip: Uint8Array[] = []
  const files = (name: string) => join(dir, name)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-roles-'))
    cluster = await startCluster({ dir: join(dir, 'cluster'), validators: 4 })
    node = cluster.nodes[0]!.apiUrl
    const csv = (await readFile(join(DATA, 'heart.csv'), 'utf8'))
      .split('\n')
      .slice(0, RECORDS + 1)
      .join('\n')
    await writeFile(files('data.csv'), `${csv}\n`)
    await writeFile(files('pass.txt'), PASS)
    await writeFile(files('algo.json'), JSON.stringify(SPEC))
    // Funded dev accounts the cluster does not use: 1 sells, 2 buys.
    await writeKeystoreFile(files('owner.json'), DEV_PRIVATE_KEYS[1], PASS, { scryptN: 1024 })
    await writeKeystoreFile(files('buyer.json'), DEV_PRIVATE_KEYS[2], PASS, { scryptN: 1024 })
    // A passive peer on every topic: what any outsider on the network would receive.
    observer = await createNetworkNode({
      privateKey: generatePeerKey(),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      directPeers: [],
      topics: TOPICS,
    })
    await observer.libp2p.start()
    observer.pubsub.addEventListener('message', (event) => gossip.push(event.detail.data))
    for (const t of TOPICS) observer.pubsub.subscribe(t)
    for (const n of cluster.nodes) {
      const info = JSON.parse(await readFile(join(n.home, INFO_FILE), 'utf8')) as DaemonInfo
      await observer.libp2p.dial(
        parsePeerAddress(info.multiaddrs.find((a) => a.includes('/127.0.0.1/'))!).addr,
      )
    }
  })

  afterAll(async () => {
    await observer?.libp2p.stop()
    await cluster?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  /** The seller's vault agent, serving through two of the nodes. */
  const serveVault = () =>
    tcfBackground(
      [
        'vault',
        'serve',
        '--vault',
        files('vault'),
        '--keys',
        files('keys'),
        '--node',
        node,
        '--node',
        cluster.nodes[1]!.apiUrl,
        '--owner-key',
        files('owner.json'),
        '--poll-ms',
        '300',
        '--passphrase-file',
        files('pass.txt'),
      ],
      ENV,
    )

  /** The buyer submits the spec in `algo` through another node, as `tcf job submit` does. */
  const submitJob = (algo: string) =>
    tcfJson<{ jobId: Hex32; sealingKeyFile: string }>(
      [
        'job',
        'submit',
        '--vault',
        vaultId,
        '--algo',
        algo,
        '--node',
        cluster.nodes[2]!.apiUrl,
        '--buyer-key',
        files('buyer.json'),
        '--deadline-heights',
        '400',
        '--passphrase-file',
        files('pass.txt'),
      ],
      ENV,
    )

  /** `tcf job wait` for the release, each stage a JSON line. */
  const waitReleased = (jobId: Hex32) =>
    tcf(['job', 'wait', jobId, '--node', node, '--stage', 'released', '--timeout', '120', '--json'])

  /** `tcf job result`: the buyer opens its sealed result with the key `job submit` wrote. */
  const openResult = (job: { jobId: Hex32; sealingKeyFile: string }) =>
    tcfJson<JobResult>(['job', 'result', job.jobId, '--node', node, '--sealing-key', job.sealingKeyFile])

  /** Waits for the validators to settle the job's escrow on their own, as its record shows. */
  const settledByNodes = async (jobId: Hex32) => {
    const watcher = new Client({ url: node })
    try {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        if ((await watcher.job(jobId)).settlement) return
        await new Promise((ok) => setTimeout(ok, 500))
      }
    } finally {
      await watcher.close()
    }
  }

  it('seller: keygen, create, publish; the vault is listed by every node', async () => {
    const pass = ['--passphrase-file', files('pass.txt')]
    await tcf(['vault', 'keygen', '--out', files('keys'), ...pass], ENV)
    await tcf(
      [
        'vault',
        'create',
        files('data.csv'),
        '--schema',
        join(DATA, 'schema.json'),
        '--policy',
        join(DATA, 'policy.json'),
        '--keys',
        files('keys'),
        '--out',
        files('vault'),
        ...pass,
      ],
      ENV,
    )
    const publish = <T>() =>
      tcfJson<T>(
        [
          'vault',
          'publish',
          '--vault',
          files('vault'),
          '--node',
          node,
          '--owner-key',
          files('owner.json'),
          ...pass,
        ],
        ENV,
      )
    const published = await publish<{ vaultId: Hex32; registeredTx: string; blobs: number }>()
    vaultId = published.vaultId
    expect(published.registeredTx).toMatch(/^0x[0-9a-f]{64}$/)
    // Publishing again uploads again but does not register twice.
    const again = await publish<{ registeredTx?: string }>()
    expect(again.registeredTx).toBeUndefined()
    const listed = await tcfJson<{ vaults: { vaultId: string; recordCount: number }[] }>([
      'vault',
      'list',
      '--node',
      node,
    ])
    expect(listed.vaults).toContainEqual(expect.objectContaining({ vaultId, recordCount: RECORDS }))
    const table = (await tcf(['vault', 'list', '--node', node])).stdout
    expect(table).toContain(vaultId)
  })

  it('buyer: submit, wait for the release, open the result; values within their stated error of the plaintext statistics', async () => {
    const agent = serveVault()
    try {
      const submitted = await submitJob(files('algo.json'))
      const waited = await waitReleased(submitted.jobId)
      const stages = waited.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { stage: string; at: string; height: number | null })
      expect(stages.map((s) => s.stage)).toEqual(
        expect.arrayContaining(['admitted', 'certified', 'released']),
      )
      const result = await openResult(submitted)

      const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(join(DATA, 'schema.json'), 'utf8')))
      const truth = plaintextOutputs(readCsvRows(files('data.csv')), schema, parseSpec(SPEC))
      // Each released value within RELEASE_ERROR_FACTOR times the 95% error its release states (sandbox/reference/within-error.ts).
      const policy = JSON.parse(await readFile(join(DATA, 'policy.json'), 'utf8')) as {
        minAggregation: number
      }
      for (const [name, out] of Object.entries(result.outputs)) {
        const check = withinStatedError(out, truth[name], policy.minAggregation)
        expect(check.ok, `${name}: ${check.released} vs ${check.truth}`).toBe(true)
        if (out.op !== 'count' && !('withheld' in out)) expect(out.epsilon).toBeGreaterThan(0)
      }
      // The score is post-processing of noisy stats: a noisy R^2 may zero the fitness.
      expect(result.quality.score).toBeGreaterThanOrEqual(0)
      expect(result.quality.score).toBeLessThanOrEqual(1)
      expect(result.heights.certified).toBeGreaterThan(result.heights.admitted ?? 0)
      expect(result.heights.released).toBeGreaterThan(result.heights.certified)
      // The human table shows the same job.
      expect((await tcf(['job', 'status', submitted.jobId, '--node', node])).stdout).toMatch(/: released/)

      // The validators settle the escrow on their own; settling by hand then only reports it, keyless.
      await settledByNodes(submitted.jobId)
      const settled = await tcfJson<{ status: string; sentNow: boolean; owner: { amount: string } }>([
        'job',
        'settle',
        submitted.jobId,
        '--node',
        node,
      ])
      expect(settled).toMatchObject({ status: 'paid', sentNow: false })
      expect(BigInt(settled.owner.amount)).toBeGreaterThan(0n)

      // Buyer B, another sealing key, cannot open buyer A's result.
      const client = new Client({ url: node })
      const error = await client
        .result(submitted.jobId, generateSealingKey().privateKey)
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ClientError)
      expect((error as ClientError).code).toBe('UNSEAL_FAILED')
      await client.close()

      const log = agent.output()
      expect(log).toMatch(/"msg":"released"/)
      // The agent's log carries ids and scores, never a released value. Matched as a JSON value,
      // not a substring: a released 73 must not be found inside a hex id.
      const released = (result.outputs.mean_hr as { value: number }).value
      const fields = log
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => Object.entries(JSON.parse(line) as Record<string, unknown>))
      const named = new Set([
        'level',
        'time',
        'pid',
        'certifiedHeight',
        'epoch',
        'attestations',
        'qualityScore',
      ])
      expect(fields.filter(([k, v]) => !named.has(k) && (v === released || v === String(released)))).toEqual(
        [],
      )
      expect(fields.map(([k]) => k)).not.toContain('outputs')
    } finally {
      await agent.stop()
    }
  })

  it('buyer: a job certified below its minQuality refunds the buyer less the validators’ evaluation fee, the owner gets nothing', async () => {
    // RECORDS where this buyer expects twice as many: a sample-size component near 0.5, so a score of
    // at most 0.5^(1/4) ≈ 0.84, below the 0.99 the buyer pays for.
    const picky = { ...SPEC, expect: { ...SPEC.expect, minRecords: 2 * RECORDS, minQuality: 0.99 } }
    await writeFile(files('picky.json'), JSON.stringify(picky))
    const agent = serveVault()
    try {
      const submitted = await submitJob(files('picky.json'))
      await waitReleased(submitted.jobId)
      // The score and why, but no output: below its minimum the buyer is not sold the data.
      const result = await openResult(submitted)
      expect(result.quality.score).toBeLessThan(0.99)
      for (const out of Object.values(result.outputs)) {
        expect(out).toMatchObject({ withheld: expect.stringMatching(/below the minimum of 0\.99/) })
      }
      await settledByNodes(submitted.jobId)
      const settled = await tcfJson<JobSettlement>(['job', 'settle', submitted.jobId, '--node', node])
      expect(settled).toMatchObject({ status: 'rejected', sentNow: false, minQuality: 990_000 })
      expect(settled.qualityScore).toBeLessThan(990_000)
      expect(settled.owner).toBeUndefined()
      // The validators' usual 20% share, split equally; the buyer gets the rest of the price to the wei.
      const price = BigInt(
        (JSON.parse(await readFile(join(DATA, 'policy.json'), 'utf8')) as { price: string }).price,
      )
      const validators = settled.validators ?? []
      expect(validators.length).toBeGreaterThanOrEqual(3)
      const each = (price * 2000n) / 10_000n / BigInt(validators.length)
      for (const v of validators) expect(BigInt(v.amount)).toBe(each)
      expect(BigInt(settled.buyer!.amount)).toBe(price - each * BigInt(validators.length))
      const status = (await tcf(['job', 'status', submitted.jobId, '--node', node])).stdout
      expect(status).toMatch(
        /escrow rejected in tx 0x[0-9a-f]{64}\nquality score 0\.\d{4} is below the 0\.9900/,
      )
    } finally {
      await agent.stop()
    }
  })

  it('operator: node status shows the validator set and the peers', async () => {
    const status = await tcfJson<{ validators: unknown[]; peers: unknown[]; height: number }>([
      'node',
      'status',
      '--node',
      node,
    ])
    expect(status.validators).toHaveLength(4)
    expect(status.peers.length).toBeGreaterThanOrEqual(3)
    expect((await tcf(['node', 'status', '--node', node])).stdout).toMatch(/validators \(epoch \d+\)/)
  })

  it('API: unsigned, wrongly signed, oversized and malformed writes get stable codes', async () => {
    const bytes = randomBytes(64)
    const id = `0x${createHash('sha256').update(bytes).digest('hex')}`
    const path = `/v1/blobs/${id}`
    const put = (headers: Record<string, string>, body: Uint8Array = bytes) =>
      fetch(`${node}${path}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', ...headers },
        body,
      })
    const expectError = async (response: Response, status: number, code: string) => {
      expect(response.status).toBe(status)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code)
    }
    const key = DEV_PRIVATE_KEYS[3] as Hex32
    await expectError(await put({}), 401, 'UNSIGNED')
    // Signed over other bytes than those sent.
    await expectError(await put(signRequest(key, 'PUT', path, randomBytes(64))), 401, 'BAD_SIGNATURE')
    // Validly signed, by a key that owns no vault: not stored.
    await expectError(await put(signRequest(key, 'PUT', path, bytes)), 403, 'NOT_A_VAULT_OWNER')

    const json = (p: string, body: string) =>
      fetch(`${node}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    // Declared too large: the node answers before reading a byte of the body. Sent through fetch,
    // the 2 MiB body raced that answer, and the node's close of the socket under the client's
    // write failed the test with EPIPE, once in three CI runs; here no body is written.
    const oversized = await declaredOnly(node, '/v1/jobs', 2 * 2 ** 20 + 1)
    expect(oversized.status).toBe(413)
    expect((JSON.parse(oversized.body) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE')
    await expectError(await json('/v1/jobs', '{"version":1,'), 400, 'MALFORMED_JSON')
    const schemaError = await json('/v1/jobs', '{"version":1,"request":{}}')
    expect([400, 422]).toContain(schemaError.status)
    await expectError(await json('/v1/releases', '{"version":2}'), 400, 'BAD_VERSION')
    await expectError(await json('/v1/vaults', '{}'), 401, 'UNSIGNED')
  })

  it('operator: /metrics exposes heights, stage latencies, gossip and the sandbox', async () => {
    const text = await (await fetch(`${node}/metrics`)).text()
    expect(text).toMatch(/^tcf_height \d+/m)
    expect(text).toMatch(/^tcf_job_stage_seconds_count\{stage="certification"\} [1-9]/m)
    expect(text).toMatch(/^tcf_gossip_messages\{topic="votes",outcome="accepted"\} [1-9]/m)
    expect(text).toMatch(/^tcf_sandbox_evaluation_seconds_count [1-9]/m)
    expect(text).toMatch(/^tcf_peers [3-9]/m)
  })

  it('API: a client over its request budget gets 429 RATE_LIMITED', async () => {
    const url = `${cluster.nodes[3]!.apiUrl}/v1/status`
    let limited: { error: { code: string } } | undefined
    // 1,200 requests a minute per client, counted in fixed windows: a burst that straddles a window
    // boundary splits its count, so 1,300 could pass unlimited (it did once in CI). 2,500 put more
    // than 1,200 in one window wherever the boundary falls (bounded: 2,500 at most, 30 s).
    const deadline = Date.now() + 30_000
    for (let sent = 0; sent < 2500 && !limited && Date.now() < deadline; sent += 50) {
      const responses = await Promise.all(Array.from({ length: 50 }, () => fetch(url)))
      const hit = responses.find((r) => r.status === 429)
      if (hit) limited = (await hit.json()) as { error: { code: string } }
      await Promise.all(responses.filter((r) => r !== hit).map((r) => r.arrayBuffer()))
    }
    expect(limited?.error.code).toBe('RATE_LIMITED')
  })

  it("no node's storage, logs or gossip holds a CSV value or the vault's secret key", async () => {
    const rows = (await readFile(files('data.csv'), 'utf8')).trim().split('\n').slice(1)
    const secret = await openSecretFile(files('keys'), PASS)
    const window = (bytes: Uint8Array) => Buffer.from(bytes.subarray(bytes.length / 2, bytes.length / 2 + 48))
    const ctx = await heContext('ckks-8192')
    const key = loadInto(ctx, () => new ctx.seal.SecretKey(), secret, 'secret', 'KEY_INVALID')
    const expanded = canonicalBytes(ctx, key)
    key.delete()
    const needles: { what: string; bytes: Buffer }[] = [
      ...rows.map((row, i) => ({ what: `CSV row ${i + 1}`, bytes: Buffer.from(row) })),
      ...[window(secret), window(expanded)].flatMap((w, i) => [
        { what: `secret key bytes (${i ? 'expanded' : 'wire'})`, bytes: w },
        { what: `secret key hex (${i ? 'expanded' : 'wire'})`, bytes: Buffer.from(w.toString('hex')) },
        {
          what: `secret key base64 (${i ? 'expanded' : 'wire'})`,
          bytes: Buffer.from(w.toString('base64').slice(4, 40)),
        },
      ]),
    ]
    const haystacks: { where: string; bytes: Buffer }[] = gossip.map((g, i) => ({
      where: `gossip message ${i}`,
      bytes: Buffer.from(g),
    }))
    expect(gossip.length).toBeGreaterThan(20)
    for (const n of cluster.nodes) {
      haystacks.push({ where: `node ${n.index} log`, bytes: Buffer.from(await n.log()) })
      // Every key and value of the node's LevelDB, read raw once the node is stopped.
      await n.stop()
      const db = new Level<Buffer, Buffer>(join(n.home, 'db'), {
        keyEncoding: 'buffer',
        valueEncoding: 'buffer',
      })
      for await (const [k, v] of db.iterator())
        haystacks.push({
          where: `node ${n.index} db ${k.subarray(0, 24).toString()}`,
          bytes: Buffer.concat([k, v]),
        })
      await db.close()
    }
    expect(haystacks.length).toBeGreaterThan(cluster.nodes.length * 10)
    // The scan reads what the nodes store: the vault's id is there, in its manifest.
    expect(haystacks.some((h) => h.where.includes(' db ') && h.bytes.includes(Buffer.from(vaultId)))).toBe(
      true,
    )
    const started = performance.now()
    const leaks = findAll(
      haystacks.map((h) => h.bytes),
      needles.map((n) => n.bytes),
    ).map(([h, n]) => `${needles[n]!.what} in ${haystacks[h]!.where}`)
    const megabytes = haystacks.reduce((sum, h) => sum + h.bytes.length, 0) / 2 ** 20
    console.log(
      `scanned ${megabytes.toFixed(1)} MiB in ${haystacks.length} places for ${needles.length} needles in ${((performance.now() - started) / 1000).toFixed(2)} s`,
    )
    expect(leaks).toEqual([])
  })
})

/**
 * A POST whose headers declare `length` bytes of JSON and whose body is never sent: the status and
 * body of the node's answer, read from a raw socket.
 */
function declaredOnly(base: string, path: string, length: number): Promise<{ status: number; body: string }> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString()
      const split = text.indexOf('\r\n\r\n')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1])
      if (split < 0 || !(status > 0))
        reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`))
      else resolve({ status, body: text.slice(split + 4) })
    })
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${length}\r\nConnection: close\r\n\r\n`,
    )
  })
}
