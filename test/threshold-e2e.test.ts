import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cluster } from '../devnet/cluster.ts'
import { Client, thresholdResult } from '../node/sdk/index.ts'
import { DEV_PRIVATE_KEYS, type Hex32 } from '../protocol/index.ts'
import { parseSpec, VaultSchemaSchema } from '../sandbox/index.ts'
import { plaintextOutputs, readCsvRows } from '../sandbox/reference/plaintext.ts'
import { tcf, tcfJson } from './support/cli.ts'
import { type SeededCommittee, startSeededCluster } from './support/seed-committee.ts'

/**
 * Threshold mode end to end on four validator daemons and a real chain, with no vault agent and
 * no secret key: the committee key seeded into each node (test/support/seed-committee.ts stands in
 * for the DKG's transport), a vault created with `tcf vault create --committee`, a job whose
 * release goes on while one validator is SIGKILLed, the score agreed in the block on all four
 * nodes, and the buyer's result from t members' shares, checked against the plaintext.
 * Run under the machine-wide lock: flock /tmp/tcf-e2e.lock npx vitest run test/threshold-e2e.test.ts
 */
const DATA = new URL('../devnet/data/', import.meta.url).pathname
const RECORDS = 600
const ENV = { TCF_SCRYPT_N: '1024', TCF_LOG_LEVEL: 'info' }
const SPEC = {
  version: 1,
  outputs: {
    records: { op: 'count' },
    mean_hr: { op: 'mean', of: 'resting_hr' },
    var_sbp: { op: 'variance', of: 'systolic_bp' },
  },
  expect: { minRecords: 300, maxMissingRate: 0.05, ranges: { mean_hr: [55, 95] } },
}

describe('threshold mode on 4 daemons: committee vault, release with a validator killed, score by consensus', () => {
  let dir: string
  let cluster: Cluster
  let seeded: SeededCommittee
  let vaultId: Hex32
  let jobId: Hex32
  let sealingKey: Uint8Array
  let releasedHeight: number
  const files = (name: string) => join(dir, name)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-threshold-'))
    ;({ cluster, seeded } = await startSeededCluster(join(dir, 'cluster')))
    const csv = (await readFile(join(DATA, 'heart.csv'), 'utf8'))
      .split('\n')
      .slice(0, RECORDS + 1)
      .join('\n')
    await writeFile(files('data.csv'), `${csv}\n`)
  }, 300_000)

  afterAll(async () => {
    await cluster?.stop()
    // TCF_KEEP_TEST_DIR keeps the nodes' homes and logs for a look after a failure.
    if (dir && !process.env.TCF_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true })
  })

  it('seller: `tcf vault create --committee` encrypts under the on-chain committee key, no secret key; the SDK publishes it', async () => {
    const created = await tcfJson<{
      manifest: { vaultId: Hex32; keyHolder?: unknown; keys: { publicKey: Hex32 } }
    }>(
      [
        'vault',
        'create',
        files('data.csv'),
        '--schema',
        join(DATA, 'schema.json'),
        '--policy',
        join(DATA, 'policy.json'),
        '--committee',
        '--node',
        cluster.nodes[0]!.apiUrl,
        '--out',
        files('vault'),
        '--json',
      ],
      ENV,
    )
    expect(created.manifest.keyHolder).toEqual({
      mode: 'committee',
      epoch: seeded.epoch,
      keyHash: seeded.keyHash,
    })
    expect(created.manifest.keys.publicKey).toBe(seeded.record.key.publicKey.blobId)
    const owner = new Client({ url: cluster.nodes[1]!.apiUrl, key: DEV_PRIVATE_KEYS[1] })
    try {
      const published = await owner.publishVault(files('vault'))
      vaultId = published.vaultId as Hex32
      expect(vaultId).toBe(created.manifest.vaultId)
    } finally {
      await owner.close()
    }
  }, 300_000)

  it('a job is certified, one validator is SIGKILLed, and the release still completes from the other three', async () => {
    const buyer = new Client({ url: cluster.nodes[2]!.apiUrl, key: DEV_PRIVATE_KEYS[2] })
    try {
      const submitted = await buyer.submitJob({ vaultId, spec: SPEC, deadlineHeights: 400 })
      jobId = submitted.jobId
      sealingKey = submitted.sealingKey.privateKey
      await buyer.waitForJob(jobId, ['certified', 'released'], { timeoutMs: 240_000 })
      const started = performance.now()
      // Member 1 (node 0) is in the first set a proposer or buyer tries: with it gone, or its
      // release half-sent, the release must come through a set without it or from what it sent.
      await cluster.nodes[0]!.signal('SIGKILL')
      const released = await buyer.waitForJob(jobId, ['released'], { timeoutMs: 180_000 })
      console.log(
        `released ${((performance.now() - started) / 1000).toFixed(1)} s after the kill, score ${released.qualityScore}`,
      )
      const at = (stage: 'certified' | 'released') => Date.parse(released.stages[stage]!)
      console.log(
        `release latency, certified to released: ${((at('released') - at('certified')) / 1000).toFixed(1)} s`,
      )
      expect(released.releasedHeight).toBeGreaterThan(0)
      releasedHeight = released.releasedHeight!
    } finally {
      await buyer.close()
    }
  }, 600_000)

  it('the score in the block is the same on all four nodes (the killed one after its restart)', async () => {
    await cluster.nodes[0]!.start()
    const deadline = Date.now() + 120_000
    const blocks: {
      blockHash: string
      block: { scored?: { qualityScore: number; participants: number[] }[] }
    }[] = []
    for (const node of cluster.nodes) {
      for (;;) {
        const got = await node.api<(typeof blocks)[number]>(`/v1/blocks/${releasedHeight}`)
        if (got.status === 200) {
          blocks.push(got.body)
          break
        }
        if (Date.now() > deadline) throw new Error(`node ${node.index} has no block ${releasedHeight}`)
        await new Promise((r) => setTimeout(r, 500))
      }
    }
    const scores = blocks.map((b) => b.block.scored?.[0]?.qualityScore)
    console.log(
      'scores in the block on each node',
      scores,
      'participants',
      blocks[0]!.block.scored?.[0]?.participants,
    )
    expect(new Set(blocks.map((b) => b.blockHash)).size).toBe(1)
    expect(scores[0]).toBeGreaterThan(0)
    expect(new Set(scores).size).toBe(1)
  }, 300_000)

  it("the buyer combines t members' sealed shares; outputs match the plaintext", async () => {
    const buyer = new Client({ url: cluster.nodes[1]!.apiUrl, key: DEV_PRIVATE_KEYS[2] })
    try {
      const result = await thresholdResult(buyer, jobId, sealingKey)
      console.log('buyer combined members', result.participants)
      expect(result.participants).toHaveLength(3)
      const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(join(DATA, 'schema.json'), 'utf8')))
      const rows = readCsvRows(files('data.csv'))
      const truth = plaintextOutputs(rows, schema, parseSpec(SPEC))
      console.log('threshold outputs', JSON.stringify(result.outputs), 'plaintext', JSON.stringify(truth))
      // The CLI opens it the same way.
      await writeFile(files('sealing.key'), `0x${Buffer.from(sealingKey).toString('hex')}\n`)
      const args = [
        'job',
        'result',
        jobId,
        '--node',
        cluster.nodes[2]!.apiUrl,
        '--sealing-key',
        files('sealing.key'),
      ]
      console.log((await tcf(args, ENV)).stdout)
      const cli = await tcfJson<{ stats: number[] }>([...args, '--json'], ENV)
      // The same set combines to the same numbers; another set differs by smudging only.
      cli.stats.forEach((v, i) => {
        expect(Math.abs(v - result.stats[i]!)).toBeLessThan(0.05)
      })
      for (const name of ['records', 'mean_hr', 'var_sbp']) {
        const out = result.outputs[name]!
        expect('value' in out, name).toBe(true)
        const value = (out as { value: number }).value
        const expected = truth[name] as number
        // Smudging of t members on each sum: three runs gave relative errors up to 9e-5 (the
        // variance's sum of squares); 1e-3 leaves a tenfold margin and still catches a wrong set.
        expect(Math.abs(value - expected) / Math.abs(expected), name).toBeLessThan(1e-3)
      }
    } finally {
      await buyer.close()
    }
  }, 120_000)
})
